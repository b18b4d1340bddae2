/* Private to the store (store_*.c): what the reader, the writer, verify
 * and the generation handling share. Everything else stays static in its
 * file; store.h is the API. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lmdb.h>

#include "lmdb_util.h"
#include "store.h"

#define CURRENT_LINK   "current"
#define GEN_PREFIX     "gen-"
#define DATA_FILE      "data.mdb"

/* Meta key of the history of applied snapshots: one line per snapshot,
 * oldest first, "SEQ KIND CREATED SOURCE\n" ("-" for an empty field).
 * Readers that do not know it ignore it: the schema version stays (the
 * key, EIR_META_HISTORY, is in record.h with the others). */
#define HISTORY_LINE   (64 + EIR_SOURCE_MAX)

struct dbis {
	MDB_dbi imei, range, pair, meta, first_seen;
	/* A reader of a database written before first sightings existed has
	 * no first_seen handle (writers always create the sub-db). */
	bool have_first_seen;
};

static inline void u32_put(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8), out[3] = (uint8_t)v;
}

static inline uint32_t u32_get(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* The reader; verify and the writer read through it too. */
struct eir_store {
	char *dir;
	char gen_path[PATH_MAX];
	MDB_env *env;
	MDB_txn *txn;
	bool txn_live;
	struct dbis dbi;
	dev_t dev;
	ino_t ino;
	uint64_t reopen_count;
	/* Without a first_seen handle: when to look for the sub-db again
	 * (monotonic seconds), as a writer may add it to this generation. */
	uint64_t first_seen_recheck;
};

/* store_lmdb.c: the LMDB layer and the meta format. */
int open_env(MDB_env **env, const char *path, unsigned flags, uint64_t map_size);
/* The four registry sub-dbs must exist unless create; first_seen is
 * opened when it exists (d->have_first_seen), created with create. */
int open_dbis(MDB_txn *txn, struct dbis *d, unsigned create);
/* A first_seen entry as stored: 0 with the IMEI and time, or -EBADMSG. */
int decode_first_seen(const MDB_val *k, const MDB_val *d, uint64_t *imei, uint32_t *t);
void meta_get_str(MDB_txn *txn, MDB_dbi dbi, const char *key, char *out, size_t sz);
int read_meta(MDB_txn *txn, MDB_dbi dbi, struct eir_meta *m);
bool history_next(const char **p, const char *end, struct eir_applied *a);
void applied_of_meta(const struct eir_meta *m, struct eir_applied *a);

/* store_gen.c: the generations in DIR and the current link. */
int current_gen(const char *dir, unsigned long *gen);
int rm_tree(const char *path);
void remove_other_gens(const char *dir, unsigned long keep);
int fsync_dir(const char *dir);
int publish(const char *dir, unsigned long gen);

/* store_read.c: the reader's transaction, and the decoding and the
 * record walk the writer shares. */
int ensure_txn(struct eir_store *s);
int decode_range(const MDB_val *k, const MDB_val *d, uint64_t *first,
		 uint64_t *last, struct eir_record *rec);
int cursor_pairs(MDB_cursor *c, uint64_t imei, uint64_t *imsis, size_t max);
int walk_records(MDB_txn *txn, MDB_dbi imei_dbi, MDB_cursor *pc, uint64_t first,
		 uint64_t last, eir_imei_cb cb, void *ctx);
