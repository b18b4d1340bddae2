/* eird: the daemon's shared state, the front-end interface, and the few
 * functions every front end calls. Only the files of this folder include
 * it; the libraries (eir/lib, eir/diameter, eir/map, eir/stats) know
 * nothing of the daemon. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "policy.h"

struct eir_hist;
struct eir_meta;

/* Log categories, raised per area from the VTY: `logging level db debug`. */
enum eird_log_cat {
	DMAIN,
	DDB,
	DPOLICY,
	DDIAM,
	DMAP,
	DN5G,		/* N5g-eir over HTTP/2 */
	DNRF,		/* registration in the NRF */
	DOBS,		/* observations */
};

void eird_log_init(void *ctx);

/* VTY nodes of eird (the cs7 nodes come from libosmo-sigtran). */
enum eird_vty_node {
	EIR_NODE = _LAST_OSMOVTY_NODE + 1,
	EIR_POLICY_NODE,
	DIAMETER_NODE,
	MAP_NODE,
	N5G_NODE,
	N5G_POLICY_NODE,
	DIAMETER_POLICY_NODE,
	MAP_POLICY_NODE,
};

/* The interfaces a query arrives on: per-interface policy overrides, and
 * the interface (so the RAT) of an observation. */
enum eird_iface {
	EIRD_IF_S13,
	EIRD_IF_MAP,
	EIRD_IF_N5G,
	EIRD_IF_COUNT
};

/* What a `policy` node under a front end overrides; -1: the global one. */
struct eird_iface_policy {
	int mode;			/* enum eir_mode or -1 */
	int unknown_imei;		/* enum eir_verdict or -1 */
	struct eir_grace unknown_grace;	/* with unknown_imei: its grace (days 0: none) */
};

/* The `eir` node's observation settings (docs/observed.md). */
struct eird_observed_cfg {
	char *path;			/* NULL: `no observed-db`, nothing recorded */
	unsigned retention_days;
	uint64_t max_pairs;		/* 0: no cap but the map size */
	unsigned max_size_mb;		/* the LMDB map size */
	unsigned interval_ms;		/* batch commit interval */
	unsigned queue;			/* distinct pairs per batch before drops */
	/* Notification events (docs/notify.md), written by the writer. */
	char *notify_spool;		/* NULL: `no notify-spool`, none written */
	unsigned notify_reminder;	/* days before the cut-off; 0: no reminder */
	char *notify_node;		/* NULL: the host name */
};

/* What the `eir` node configures. The VTY commands write into the copy
 * eird_cfg_target() names: the running one at start, a scratch one while
 * SIGHUP re-reads the file (vty.c). */
struct eird_cfg {
	void *ctx;			/* owns the strings */
	char *db_path;
	char *stats_socket;		/* NULL: none */
	char *stats_group;
	bool counting;			/* off only to measure what counting costs */
	struct eir_policy policy;
	struct eird_iface_policy iface[EIRD_IF_COUNT];
	struct eird_observed_cfg observed;
};

struct eird {
	void *ctx;
	const char *config_file;
	struct eird_cfg cfg;
	struct eir_store *store;	/* NULL while the database cannot be opened */
	struct rate_ctr_group *branches;
	struct rate_ctr_group *verdicts;	/* sent and decided mix, grace, monitor */
	/* cfg.policy with each interface's overrides (eird_policy_apply). */
	struct eir_policy policy[EIRD_IF_COUNT];
};

extern struct eird *g_eird;

/* ------------------------------------------------------------ front ends */

/* One peer of a front end as the NOC sees it: a Diameter connection or
 * allow-listed peer, the ASP towards the STP. */
struct eird_peer {
	const char *host;
	const char *addr;
	const char *state;
	bool up;
};

typedef void (*eird_peer_fn)(void *ctx, const struct eird_peer *p);

/* A front end: one file of this folder and one line in eird_frontends[]
 * (eird.c). main.c, the stats socket and the VTY walk that table. */
struct eird_frontend {
	const char *name;		/* stats section: "s13", "map" */
	const char *title;		/* in descriptions: "S13" */
	void (*vty_init)(void *ctx);	/* its nodes and commands */
	/* Open what the configuration asks for; 0 or negative errno (fatal
	 * at start). A front end that is not configured returns 0. */
	int (*start)(void *ctx);
	void (*stop)(void);
	/* NULL while not configured: the front end then has no section. */
	struct rate_ctr_group *(*counters)(void);
	struct eir_hist *(*latency)(void);
	void (*foreach_peer)(eird_peer_fn fn, void *ctx);
	/* The names its gauges keep in every view (docs/stats.md). */
	const char *latency_key;	/* stats key prefix: "latency" */
	const char *latency_json;	/* JSON key: "latency" */
	const char *latency_prom;	/* "eir_s13_latency_seconds" */
	const char *latency_help;
	const char *latency_item;	/* stat item prefix: "s13:latency" */
	const char *peers_key;		/* peers up: "peers_connected" */
	const char *peers_prom;		/* "eir_diameter_peers" */
	const char *peers_item;		/* "diameter:peers" */
	const char *peers_help;
};

extern const struct eird_frontend eird_fe_s13;
extern const struct eird_frontend eird_fe_map;
extern const struct eird_frontend eird_fe_n5g;
/* NULL-terminated, in the order of the views. */
extern const struct eird_frontend *const eird_frontends[];

/* ------------------------------------------------------------ verdicts */

void eird_counters_init(void);
/* Decide one query that came on iface (its policy overrides apply): the
 * store's batch is opened on first use and closed by eird_batch_end(),
 * which main.c calls after every loop turn; a front end may end it
 * earlier (after each read). */
void eird_check(enum eird_iface iface, const struct eir_query *q, struct eir_result *res);
void eird_batch_end(void);
/* The unknown outcome of iface for an identity that is no IMEI (a 5G PEI
 * of another kind): counted, monitor mode applied, nothing looked up. */
void eird_check_not_equipment(enum eird_iface iface, struct eir_result *res);
/* Recompute g_eird->policy[] from cfg.policy and cfg.iface[]: after the
 * configuration is read and after every reload. */
void eird_policy_apply(void);
const char *eird_iface_name(enum eird_iface iface);
/* The database: opened at start and by the health timer (once a second,
 * with a rate-limited alarm while it cannot be). Readers outside a batch
 * (the stats socket) use eird_meta(). */
void eird_health_start(void);
void eird_health_stop(void);
/* The meta of the generation in service; false while no database. */
bool eird_meta(struct eir_meta *m, uint64_t *reopens);

/* ------------------------------------------------------------ observations */

/* observe.c: what eird was asked, recorded off the answer path (an
 * in-memory batch per interval, written by a thread of its own). */
int eird_observe_start(void *ctx);
void eird_observe_stop(void);
void eird_observe(enum eird_iface iface, const struct eir_query *q, const struct eir_result *res);
/* For eir_query.first_seen: the IMEI's first sighting here. */
int eird_observe_first_seen(void *ctx, uint64_t imei, uint32_t *first);
/* End the read transaction of the store (with eird_batch_end). */
void eird_observe_batch_end(void);
/* The counters (NULL when observation is off) and the gauges of the view. */
struct rate_ctr_group *eird_observe_counters(void);
struct eird_observe_state {
	bool on, up;
	const char *path;
	uint64_t pending, pairs, imeis, used_bytes, file_bytes, map_bytes, max_pairs;
	uint32_t oldest_seen;
	uint64_t last_batch_us, max_batch_us, last_batch_pairs;
	bool near_cap;
};
void eird_observe_state(struct eird_observe_state *st);

/* ------------------------------------------------------------ helpers */

/* CLOCK_MONOTONIC in nanoseconds: every timer and latency of eird. */
uint64_t eird_now_ns(void);

/* A log line for floods: due at most once per interval, counting those
 * skipped in between (told with the next one). */
struct eird_ratelimit {
	uint64_t next_ns;
	uint64_t skipped;
};

bool eird_ratelimit_due(struct eird_ratelimit *rl, uint64_t interval_ns, uint64_t *skipped);

/* ------------------------------------------------------------ configuration */

void eird_vty_init(void);
int eird_vty_go_parent(struct vty *vty);
/* The copy of the configuration the VTY commands write to. */
struct eird_cfg *eird_cfg_target(void);
/* True while SIGHUP re-reads the file into a scratch copy: front ends
 * then check their commands but change nothing that runs. */
bool eird_cfg_checking(void);
/* First line of a front end's config command: parsed, not applied, while
 * checking. */
#define EIRD_CFG_APPLY_OR_RETURN() \
	do { \
		if (eird_cfg_checking()) \
			return CMD_SUCCESS; \
	} while (0)
void eird_cfg_defaults(struct eird_cfg *c, void *ctx);
/* A front end's `policy` node under its own (mode, unknown-imei), and its
 * write-back inside the front end's node; set: it overrides anything. */
void eird_vty_iface_policy_install(enum eird_iface iface, int parent_node);
void eird_vty_iface_policy_write(struct vty *vty, enum eird_iface iface);
bool eird_iface_policy_set(enum eird_iface iface);
/* Read the configuration at start; errors name file:line on stderr. */
int eird_config_read(const char *path);
/* SIGHUP: read the whole file again from the defaults; the policy is
 * swapped in only when every line is valid. */
int eird_config_reload(void);
