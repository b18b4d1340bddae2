/* The EIR database on LMDB: a read-only reader for eird and the tools, and
 * a transactional writer for eir-sync and tests.
 *
 * Layout of a database directory DIR:
 *   DIR/current        symlink to the generation in service (gen-N)
 *   DIR/gen-N/         one LMDB environment (data.mdb, lock.mdb)
 *   DIR/writer.lock    flock()ed by the one writer at a time; holds its pid
 * An update writes into the current generation in one LMDB transaction; a
 * replacement builds gen-N+1 beside it and publishes it by renaming the
 * symlink, so readers never see a half-written database either way.
 * All functions return 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define EIR_SOURCE_MAX 128

struct eir_meta {
	uint64_t schema;
	char kind[8];			/* "full", "delta" or "" */
	uint64_t seq;
	char source[EIR_SOURCE_MAX];
	uint64_t created;		/* unix seconds, 0 = unknown */
	uint64_t imported;
	uint64_t count[EIR_STATUS_COUNT];	/* exact IMEI records per status */
	uint64_t ranges;
	uint64_t paired_imeis;
	/* The first sightings imported from first-seen files (not registry
	 * data: they survive every replacement). */
	uint64_t first_seen;			/* entries in the first_seen sub-db */
	uint64_t first_seen_imported;		/* when the last first-seen file was applied, 0 = never */
	char first_seen_source[EIR_SOURCE_MAX];	/* that file's name */
};

/* One snapshot applied to the database. The meta keeps the last
 * EIR_HISTORY_MAX of them, so that a file applied before can be told from
 * one that differs. */
#define EIR_HISTORY_MAX 256

struct eir_applied {
	uint64_t seq;
	char kind[8];
	uint64_t created;
	char source[EIR_SOURCE_MAX];
};

/* ------------------------------------------------------------------ reader */

struct eir_store;

/* Open DIR read-only. -ENOENT: no database there; -EPROTO: another schema
 * version (errbuf says which). errbuf may be NULL. */
int eir_store_open(struct eir_store **out, const char *dir, char *errbuf, size_t errsz);
void eir_store_close(struct eir_store *s);

/* Start a batch of lookups: reopen if a new generation was published, renew
 * the long-lived read transaction. Lookups begin implicitly when needed. */
int eir_store_begin(struct eir_store *s);
/* End the batch: release the snapshot so the writer can reuse pages. */
void eir_store_end(struct eir_store *s);

/* Exact record: 0, -ENOENT, or another error (-EBADMSG for a corrupt value). */
int eir_store_get(struct eir_store *s, uint64_t imei, struct eir_record *rec);
/* The range or TAC rule covering imei: 0, -ENOENT, or an error. */
int eir_store_find_range(struct eir_store *s, uint64_t imei, uint64_t *first,
			 uint64_t *last, struct eir_record *rec);
/* 1 when imsi is paired with imei, 0 when not, or an error. */
int eir_store_has_pair(struct eir_store *s, uint64_t imei, uint64_t imsi);
/* Fill up to max IMSIs paired with imei; returns the count or an error. */
int eir_store_get_pairs(struct eir_store *s, uint64_t imei, uint64_t *imsis, size_t max);
/* The network-wide first sighting of imei that eir-sync imported from the
 * nodes' first-seen exports (docs/snapshot-format.md): unix seconds in
 * *first; 0, -ENOENT, or an error (-EBADMSG for a corrupt value). A
 * database written before first sightings existed answers -ENOENT; once a
 * writer adds them to the generation in service, a reader sees them from
 * a batch that begins a second later at most. */
int eir_store_get_first_seen(struct eir_store *s, uint64_t imei, uint32_t *first);

int eir_store_get_meta(struct eir_store *s, struct eir_meta *m);
/* The snapshot that was applied as seq, from the history: 0, or -ENOENT.
 * A database written before the history existed knows its current
 * snapshot only. */
int eir_store_find_applied(struct eir_store *s, uint64_t seq, struct eir_applied *a);
/* Name of a reason id; "" for 0 or an id the dictionary lacks. */
int eir_store_reason_name(struct eir_store *s, uint8_t id, char *out, size_t outsz);

/* Walk in key order from first to last inclusive: the IMEI records in it,
 * or the range rules that overlap it. A callback's non-zero return, positive
 * or negative, stops the walk and is returned untouched; the walk's own
 * errors are negative errnos, so a callback that needs to tell its stop from
 * them returns a positive value. 0 when every callback returned 0. */
typedef int (*eir_imei_cb)(void *ctx, uint64_t imei, const struct eir_record *rec,
			   const uint64_t *imsis, size_t n_imsis);
typedef int (*eir_range_cb)(void *ctx, uint64_t first, uint64_t last,
			    const struct eir_record *rec);
int eir_store_walk_imei(struct eir_store *s, uint64_t first, uint64_t last,
			eir_imei_cb cb, void *ctx);
int eir_store_walk_range(struct eir_store *s, uint64_t first, uint64_t last,
			 eir_range_cb cb, void *ctx);
/* The imported first sightings of the IMEIs from first to last, in key
 * order; stops and returns as the walks above. A corrupt entry stops the
 * walk with -EBADMSG. */
typedef int (*eir_first_seen_cb)(void *ctx, uint64_t imei, uint32_t first);
int eir_store_walk_first_seen(struct eir_store *s, uint64_t first, uint64_t last,
			      eir_first_seen_cb cb, void *ctx);

/* Check the whole database: schema, key sizes and order, every record and
 * range value, range overlaps, pair entries against record flags, reason
 * ids against the dictionary, first sightings (key and value sizes, no
 * zero time), and meta counts against what is stored.
 * problem() is called for each finding (at most max_problems times);
 * returns the number of problems found, or a negative errno. */
typedef void (*eir_problem_cb)(void *ctx, const char *msg);
int eir_store_verify(struct eir_store *s, eir_problem_cb problem, void *ctx,
		     unsigned max_problems);

/* How many times a new generation was picked up since open. */
uint64_t eir_store_reopen_count(const struct eir_store *s);
/* Path of the generation in service and the size of its data file. */
const char *eir_store_path(const struct eir_store *s);
uint64_t eir_store_file_size(const struct eir_store *s);

/* ------------------------------------------------------------------ writer */

enum eir_write_mode {
	EIR_WRITE_UPDATE,	/* change the current generation in place (delta) */
	/* Build a new generation and publish it (full). The registry data
	 * (imei, range, pair, reasons) starts empty; the first sightings and
	 * their meta are copied over from the generation in service when the
	 * writer opens, under the writer lock, so that no full import resets
	 * a grace period. */
	EIR_WRITE_REPLACE,
};

struct eir_lock;

struct eir_writer_opts {
	enum eir_write_mode mode;
	/* REPLACE only: keys arrive in ascending order (bulk load, fastest). */
	bool sorted;
	/* Map size in bytes; 0 = default (64 GiB of address space). */
	uint64_t map_size;
	/* The caller already holds DIR's writer lock (eir_store_lock); the
	 * writer neither takes nor releases it. NULL: the writer takes it. */
	struct eir_lock *lock;
};

struct eir_writer;

/* Take DIR/writer.lock, creating DIR when missing, and hold it until
 * eir_store_unlock(): a caller that decides from the database's meta what
 * to write takes it before reading. -EBUSY when another process holds it
 * (errbuf names the lock and, when known, the process). */
int eir_store_lock(const char *dir, struct eir_lock **out, char *errbuf, size_t errsz);
void eir_store_unlock(struct eir_lock *l);

/* Takes the writer lock unless opts->lock (-EBUSY when another writer
 * holds it). */
int eir_writer_open(struct eir_writer **out, const char *dir,
		    const struct eir_writer_opts *opts, char *errbuf, size_t errsz);

/* The steps below carry a sticky error: after the first failure every step
 * is a no-op, and eir_writer_commit() reports it. */

/* Set an IMEI's record and its paired IMSIs (n_imsis <= EIR_MAX_PAIRS),
 * replacing what was there. rec->flags: only EIR_REC_LOCKED is taken from
 * the caller; EIR_REC_HAS_PAIRS follows n_imsis. */
void eir_writer_put(struct eir_writer *w, uint64_t imei, const struct eir_record *rec,
		    const uint64_t *imsis, size_t n_imsis);
/* Remove an IMEI and its pairs; a missing IMEI is an error (-ENOENT). */
void eir_writer_del(struct eir_writer *w, uint64_t imei);
/* Add a range rule, replacing one that starts at the same first; it must
 * not overlap any other (-EEXIST). */
void eir_writer_put_range(struct eir_writer *w, uint64_t first, uint64_t last,
			  const struct eir_record *rec);
/* Remove the range rule that starts at first (-ENOENT when none). */
void eir_writer_del_range(struct eir_writer *w, uint64_t first);
/* Reason id for a name, added to the dictionary when new (1..255); 0 for ""
 * and on error. */
uint8_t eir_writer_reason(struct eir_writer *w, const char *name);
/* Read inside the writer's transaction (sees its own changes): the record
 * and up to EIR_MAX_PAIRS paired IMSIs. 0, -ENOENT, or an error. */
int eir_writer_get(struct eir_writer *w, uint64_t imei, struct eir_record *rec,
		   uint64_t *imsis, size_t *n_imsis);
/* Walk every IMEI record in key order inside the writer's transaction;
 * the callback must not write (collect, then write after the walk). Its
 * non-zero return stops the walk as in eir_store_walk_imei(); a writer
 * already in error returns that error without walking. */
int eir_writer_walk(struct eir_writer *w, eir_imei_cb cb, void *ctx);

/* Lower the first sighting of imei to t (unix seconds, not 0): it becomes
 * min(stored, t), so applying the same sightings again or in another order
 * gives the same data. Returns EIR_FS_NEW (none was stored), EIR_FS_EARLIER
 * (t was earlier than the stored one), EIR_FS_KEPT (the stored one is not
 * later), or a negative errno that is also the writer's sticky error. */
enum { EIR_FS_KEPT = 0, EIR_FS_NEW = 1, EIR_FS_EARLIER = 2 };
int eir_writer_first_seen_min(struct eir_writer *w, uint64_t imei, uint32_t t);
/* Record at commit that a first-seen file was applied: its name (shown by
 * eir-sync status) and when. It leaves the snapshot identity alone. */
void eir_writer_set_first_seen_import(struct eir_writer *w, const char *source, uint64_t imported);

/* Snapshot identity written at commit (kind, seq, source, created,
 * imported; counts are the writer's own). It also joins the history, which
 * drops any entry at or above its seq (a snapshot forced back). */
void eir_writer_set_meta(struct eir_writer *w, const struct eir_meta *m);

/* The counts as they would be committed now. */
void eir_writer_counts(const struct eir_writer *w, struct eir_meta *m);
/* First error, 0 if none, and its message. */
int eir_writer_error(const struct eir_writer *w, const char **msg);

/* Commit (and, for REPLACE, publish) then free; on error nothing changed. */
int eir_writer_commit(struct eir_writer *w, char *errbuf, size_t errsz);
/* Drop everything written and free. */
void eir_writer_abort(struct eir_writer *w);

/* Current seq of DIR without keeping it open; -ENOENT when empty. */
int eir_store_read_meta(const char *dir, struct eir_meta *m);
