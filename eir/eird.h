/* eird: the daemon's shared state and the few functions its modules call. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "policy.h"

/* Log categories, raised per area from the VTY: `logging level db debug`. */
enum eird_log_cat {
	DMAIN,
	DDB,
	DPOLICY,
	DDIAM,
	DMAP,
};

/* VTY nodes of eird (the cs7 nodes come from libosmo-sigtran). */
enum eird_vty_node {
	EIR_NODE = _LAST_OSMOVTY_NODE + 1,
	EIR_POLICY_NODE,
	DIAMETER_NODE,
	MAP_NODE,
};

/* One counter per policy branch (design.md §4). */
struct eird {
	void *ctx;
	const char *config_file;
	char *db_path;
	char *stats_socket;		/* NULL: none */
	char *stats_group;
	bool counting;			/* off only to measure what counting costs */
	struct eir_policy policy;
	struct eir_store *store;	/* NULL while the database cannot be opened */
	uint64_t store_retry_at;	/* monotonic ms of the next open attempt */
	struct rate_ctr_group *branches;
};

extern struct eird *g_eird;

void eird_counters_init(void);
/* Decide one query: the store's batch is opened on first use and closed by
 * eird_batch_end() (call it once per loop turn of each front end). */
void eird_check(const struct eir_query *q, struct eir_result *res);
void eird_batch_end(void);
/* Open the database now if it is closed (rate-limited retries). */
void eird_store_ensure(void);
/* Reload the policy from the configuration file (SIGHUP). */
int eird_reload_policy(void);

void eird_vty_init(void);
int eird_vty_go_parent(struct vty *vty);
