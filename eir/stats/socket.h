/* eird's stats socket for the NOC (see socket.c and docs/operations). */
#pragma once

/* Listen on path (NULL: no socket), mode 0660, owned by group if given.
 * 0 or negative errno (fatal at startup). */
int stats_socket_start(const char *path, const char *group);
/* Close the clients and remove the socket (clean stop). */
void stats_socket_stop(void);
