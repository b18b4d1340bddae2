/* eird's stats socket for the NOC (stats.c; docs/stats.md). */
#pragma once

/* Listen on path (NULL: no socket), mode 0660, owned by group if given;
 * also starts the gauges the VTY and statsd show. 0 or negative errno
 * (fatal at start). */
int stats_socket_start(const char *path, const char *group);
/* Close the clients and remove the socket (clean stop). */
void stats_socket_stop(void);
