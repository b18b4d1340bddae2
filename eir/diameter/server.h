/* eird's Diameter front end: the `diameter` VTY node, listeners (TCP, or
 * SCTP where the kernel has it), peers and S13 ME-Identity-Check. */
#pragma once

void diameter_vty_init(void);
/* Open the configured listeners; 0 or negative errno (fatal at startup). */
int diameter_start(void);

struct rate_ctr_group;
struct eir_hist;

/* For the stats socket: the counters (NULL before diameter_start), the
 * S13 latency histogram (read to answer), and each connection. */
struct rate_ctr_group *diameter_counters(void);
struct eir_hist *diameter_latency(void);
void diameter_foreach_conn(void (*fn)(void *ctx, const char *peer, const char *addr, const char *state),
			   void *ctx);
