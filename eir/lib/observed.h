/* The observation store (docs/observed.md): which (IMEI, IMSI) pairs an
 * eird was asked about, when first and last, how often, and what it
 * answered. One LMDB environment of eird's own (default
 * /var/lib/eir/observed), never the registry database; written by eird's
 * observation writer only, read by eird (first sightings for the grace
 * period) and by eir-db (get, stat, export) while eird writes.
 *
 * Sub-databases:
 *   pair  u64 BE IMEI + u64 BE IMSI (16 octets) -> packed pair value
 *   imei  u64 BE IMEI -> first_seen, last_seen (u32 BE each), pair count (u32 BE)
 *   imsi  u64 BE IMSI + u64 BE IMEI -> empty (the index of get --imsi)
 *   meta  string -> value: schema, created, sweep position and totals
 * IMSI 0 is the pair of a query that carried no IMSI.
 * Every function returns 0 or a negative errno unless it says otherwise. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EIR_OBS_SCHEMA_VERSION 1

/* The interface a query came on; the RAT of a DIRBS export follows from it. */
enum eir_obs_iface {
	EIR_OBS_IF_NONE = 0,
	EIR_OBS_IF_S13,		/* MME / SGSN over Diameter: E-UTRAN */
	EIR_OBS_IF_MAP,		/* MSC / SGSN over MAP: GERAN or UTRAN */
	EIR_OBS_IF_N5G,		/* AMF over HTTP/2: NR */
	EIR_OBS_IF_COUNT
};

/* One pair as stored, or as eird hands a batch entry to eir_obs_merge(). */
struct eir_obs {
	uint64_t imei;			/* the 14-digit key */
	uint64_t imsi;			/* packed as eir_imsi_parse(); 0 = none */
	uint64_t msisdn;		/* packed the same way; 0 = none seen */
	uint32_t first_seen;		/* unix seconds */
	uint32_t last_seen;
	uint32_t count;			/* queries (saturates at UINT32_MAX) */
	uint8_t verdict;		/* enum eir_verdict sent on the wire, last query */
	uint8_t would;			/* enum eir_verdict the policy decided (monitor mode) */
	uint8_t branch;			/* enum eir_branch, last query */
	uint8_t iface;			/* enum eir_obs_iface, last query */
	uint8_t svn;			/* last software version, 0xff = none */
};

/* An IMEI across its pairs. */
struct eir_obs_imei {
	uint64_t imei;
	uint32_t first_seen;		/* the earliest first_seen of any of its pairs, ever */
	uint32_t last_seen;
	uint32_t pairs;
};

struct eir_obs_stat {
	uint64_t pairs, imeis, imsis;	/* imsis: distinct non-zero IMSIs in the index */
	uint64_t file_bytes;		/* data.mdb on disk */
	uint64_t used_bytes;		/* pages in use (all sub-dbs + free list) * page size */
	uint64_t map_bytes;		/* the map size (the hard cap) */
	uint32_t oldest_seen, newest_seen;	/* last_seen range over the pairs; 0 when empty */
	uint64_t created;		/* when the store was created */
	uint64_t expired;		/* pairs expired since creation (meta) */
};

struct eir_obs_db;

/* Open (writable: create DIR and the environment when missing) the store in
 * DIR. map_bytes: the map size for a writer (0 = 4 GiB); readers take the
 * writer's. -ENOENT when a reader finds no store; -EPROTO for another
 * schema. err names DIR and the reason. One thread may read while another
 * merges and expires through the same handle (MDB_NOTLS). */
int eir_obs_open(struct eir_obs_db **out, const char *dir, bool writable,
		 uint64_t map_bytes, char *err, size_t errsz);
void eir_obs_close(struct eir_obs_db *db);

/* --------------------------------------------------------------- reading */

/* A long-lived read transaction per handle, renewed by begin and released
 * by end (as eir_store_begin/end); the lookups below (and eir_obs_stat)
 * begin implicitly. One thread reads through a handle; another may merge
 * and expire through it meanwhile. */
int eir_obs_begin(struct eir_obs_db *db);
void eir_obs_end(struct eir_obs_db *db);

/* The IMEI's first sighting over all its pairs: 0, -ENOENT, or an error. */
int eir_obs_get_imei(struct eir_obs_db *db, uint64_t imei, struct eir_obs_imei *out);
/* One pair: 0, -ENOENT, or an error. */
int eir_obs_get_pair(struct eir_obs_db *db, uint64_t imei, uint64_t imsi, struct eir_obs *out);

/* Walks: cb's non-zero return stops and is returned (as eir_store_walk_imei). */
typedef int (*eir_obs_cb)(void *ctx, const struct eir_obs *o);
typedef int (*eir_obs_imei_cb)(void *ctx, const struct eir_obs_imei *i);
/* Every pair of one IMEI, by IMSI. */
int eir_obs_walk_imei(struct eir_obs_db *db, uint64_t imei, eir_obs_cb cb, void *ctx);
/* Every pair of one IMSI (through the index), by IMEI. */
int eir_obs_walk_imsi(struct eir_obs_db *db, uint64_t imsi, eir_obs_cb cb, void *ctx);
/* Every pair in key order whose [first_seen, last_seen] overlaps
 * [since, until] (unix seconds, inclusive). */
int eir_obs_walk_pairs(struct eir_obs_db *db, uint32_t since, uint32_t until, eir_obs_cb cb, void *ctx);
/* Every IMEI in key order with last_seen >= since and first_seen <= until. */
int eir_obs_walk_imeis(struct eir_obs_db *db, uint32_t since, uint32_t until, eir_obs_imei_cb cb, void *ctx);

int eir_obs_stat(struct eir_obs_db *db, struct eir_obs_stat *st);

/* --------------------------------------------------------------- writing */

struct eir_obs_merge_stats {
	uint64_t new_pairs;		/* pairs that were not stored */
	uint64_t new_imeis;		/* IMEIs that were not stored */
	uint64_t updated;		/* pairs merged into stored ones */
};

/* Merge n pairs, each the sum of what eird saw of it since the last batch,
 * in one write transaction: first_seen = min, last_seen = max, count +=;
 * verdict, would, branch, iface, svn from the entry when its last_seen is
 * not older than the stored one; msisdn kept when the entry has none. The
 * IMEI's entry and the IMSI index follow. All or nothing; -ENOSPC when
 * the map is full (nothing written: the caller expires and retries, or
 * drops). The batch need not be sorted. */
int eir_obs_merge(struct eir_obs_db *db, const struct eir_obs *batch, size_t n,
		  struct eir_obs_merge_stats *st);

/* Notification marks: per (IMEI, IMSI), the cut-off day its events are
 * for and the kinds (a bit each, the caller's numbering) already written.
 * In one write transaction: each claim's fresh gets the wanted kinds not
 * marked for that day (marks for another day do not count) and the marks
 * take them; then emit(ctx, c, n) writes the fresh ones where they go;
 * its 0 commits the marks, anything else (returned) aborts them, so a
 * kind is marked exactly when its event was written. Marks go with their
 * pair at expiry. -EBADF on a read-only handle. */
struct eir_obs_claim {
	uint64_t imei, imsi;
	uint16_t day;			/* the cut-off day (days since 1970-01-01) */
	uint8_t want;			/* kinds wanted */
	uint8_t fresh;			/* out: of want, the kinds not marked before */
};
typedef int (*eir_obs_claim_cb)(void *ctx, const struct eir_obs_claim *c, size_t n);
int eir_obs_claim(struct eir_obs_db *db, struct eir_obs_claim *c, size_t n, eir_obs_claim_cb emit, void *ctx);

/* Expiry, in bounded steps so that a step never holds the writer long:
 * delete pairs whose last_seen < cutoff, and, while more than max_pairs
 * remain (0 = no cap), the least recently seen pairs first. An IMEI whose
 * last pair goes is deleted too; the index follows. One call examines at
 * most budget pairs (continuing where the previous call stopped, the
 * position kept in the meta) and commits once. *expired gets the pairs
 * deleted; returns 1 when a full pass over the store ended in this call,
 * 0 when more remains, or a negative errno. */
int eir_obs_expire(struct eir_obs_db *db, uint32_t cutoff, uint64_t max_pairs,
		   uint64_t budget, uint64_t *expired);
