/* eird's MAP front end (map.h): an SCCP user on SSN 9 through
 * libosmo-sigtran (the `cs7 instance` nodes configure the ASP, M3UA or IPA),
 * answering MAP CheckIMEI; the `map` VTY node. */
#pragma once

#include <stdbool.h>

struct rate_ctr_group;
struct eir_hist;

void map_vty_init(void);
/* Bind the SCCP user when a `map` node is configured; 0 or negative errno
 * (fatal at startup). */
int map_start(void);

/* For the stats socket: NULL / false while MAP is not configured. */
struct rate_ctr_group *map_counters(void);
struct eir_hist *map_latency(void);
/* Name and state of the ASP towards the STP ("active", "down", ...). */
bool map_asp_state(const char **name, const char **state);
