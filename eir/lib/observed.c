/* The observation store (observed.h, docs/observed.md) on LMDB: which
 * (IMEI, IMSI) pairs eird was asked about, merged in batches by eird's
 * writer thread, read by eird's main thread and by eir-db meanwhile.
 *
 * On disk (DIR/data.mdb, DIR/lock.mdb), integers big-endian:
 *
 *   pair  key   0  u64 IMEI (14-digit key)
 *               8  u64 IMSI (packed as eir_imsi_parse(); 0 = none)
 *         value 0  u32 first_seen     unix seconds
 *               4  u32 last_seen
 *               8  u32 count          saturates at 2^32-1
 *              12  7 octets MSISDN    digit count << 52 | value; 0 = none
 *              19  u8  verdict        enum eir_verdict sent, last query
 *              20  u8  would          enum eir_verdict of the policy
 *              21  u8  branch         enum eir_branch
 *              22  u8  iface          enum eir_obs_iface
 *              23  u8  svn            0..99, 0xff = none
 *                  = 24 octets
 *   imei  key   u64 IMEI
 *         value u32 first_seen (the least of its pairs', ever),
 *               u32 last_seen, u32 pairs stored      = 12 octets
 *   imsi  key   u64 IMSI + u64 IMEI (non-zero IMSIs only), value empty
 *   meta  see the META_* keys below.
 *
 * Every value has one size, so that a merge that updates a pair or an
 * IMEI overwrites it in place (MDB_CURRENT with an equal size). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lmdb.h>

#include "lmdb_util.h"
#include "observed.h"
#include "record.h"

#define DATA_FILE	"data.mdb"
#define DEFAULT_MAP	(4ULL << 30)
#define FILE_MODE	0640	/* IMSIs and MSISDNs: personal data */
#define DIR_MODE	0750

#define DBI_PAIR	"pair"
#define DBI_IMEI	"imei"
#define DBI_IMSI	"imsi"
#define DBI_META	"meta"
#define DBI_NOTIFY	"notify"		/* pair -> the notification marks */
#define NOTIFY_SIZE	4		/* cut-off day (2), kinds written (1), spare */

/* Meta keys. */
#define META_SCHEMA	"schema"	/* u64: EIR_OBS_SCHEMA_VERSION */
#define META_FORMAT	"format"	/* OBS_FORMAT: tells this store from a registry generation */
#define META_CREATED	"created"	/* u64 unix seconds */
#define META_EXPIRED	"expired"	/* u64: pairs expired since creation */
#define META_IMSIS	"count.imsis"	/* u64: distinct non-zero IMSIs in the index */
#define META_SEEN	"seen"		/* u32 oldest, u32 newest, u32 pass_min */
#define META_POS	"sweep.pos"	/* 16 octets: next pair key of the pass in progress */
#define META_HIST	"sweep.hist"	/* histogram of the pass in progress */
#define META_CAP	"sweep.cap"	/* u64 max_pairs, u32 cutoff: the cap of the pass in progress */
#define META_CAPHIST	"cap.hist"	/* histogram of the last full pass */
#define OBS_FORMAT	"eir-observed"

#define KEY_SIZE	16
#define PAIR_SIZE	24
#define IMEI_SIZE	12
#define SEEN_SIZE	12
#define CAP_SIZE	12

/* The expiry's day histogram of last_seen: HIST_DAYS bins of one UTC day,
 * the last one holding the day the pass started on (or the newest
 * last_seen, when later); older pairs count in bin 0, which keeps the
 * bins in age order. Stored as u32 base day, u32 bin count, then a u32
 * per bin. */
#define HIST_DAYS	2048
#define HIST_SIZE	(8 + 4 * HIST_DAYS)
#define DAY		86400U

struct hist {
	uint32_t base;
	uint32_t n[HIST_DAYS];
};

struct eir_obs_db {
	char *dir;
	MDB_env *env;
	bool writable;
	MDB_dbi pair, imei, imsi, meta;
	MDB_dbi notify;
	bool has_notify;		/* a store from before the marks has none until written */
	/* The reader's long-lived transaction: only the thread that reads
	 * touches these; the writer's functions use their own. */
	MDB_txn *rtxn;
	bool rtxn_live;
};

/* ------------------------------------------------------------- helpers */

static void u32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t u32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static uint32_t add_sat(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static void key_put(uint8_t k[KEY_SIZE], uint64_t a, uint64_t b)
{
	eir_u64_put(k, a);
	eir_u64_put(k + 8, b);
}

/* The packed MSISDN (digit count in the top byte) in 7 octets: the count
 * in the top 4 bits, the value (< 10^15 < 2^52) below. */
#define MSISDN_LEN_SHIFT 56
#define MSISDN_VALUE_BITS 52

static void msisdn_put(uint8_t p[7], uint64_t m)
{
	uint64_t len = m >> MSISDN_LEN_SHIFT, v = m & ((1ULL << MSISDN_VALUE_BITS) - 1);
	uint64_t x = m ? (len << MSISDN_VALUE_BITS) | v : 0;

	for (int i = 6; i >= 0; i--, x >>= 8)
		p[i] = (uint8_t)x;
}

static int msisdn_get(const uint8_t p[7], uint64_t *m)
{
	uint64_t x = 0, len, v;

	for (int i = 0; i < 7; i++)
		x = x << 8 | p[i];
	len = x >> MSISDN_VALUE_BITS;
	v = x & ((1ULL << MSISDN_VALUE_BITS) - 1);
	if (len > 15 || (!len && v))
		return -EBADMSG;
	*m = x ? (len << MSISDN_LEN_SHIFT) | v : 0;
	return 0;
}

static void pair_encode(const struct eir_obs *o, uint8_t v[PAIR_SIZE])
{
	u32_put(v, o->first_seen);
	u32_put(v + 4, o->last_seen);
	u32_put(v + 8, o->count);
	msisdn_put(v + 12, o->msisdn);
	v[19] = o->verdict;
	v[20] = o->would;
	v[21] = o->branch;
	v[22] = o->iface;
	v[23] = o->svn;
}

static int pair_decode(const MDB_val *k, const MDB_val *d, struct eir_obs *o)
{
	const uint8_t *v = d->mv_data;

	if (k->mv_size != KEY_SIZE || d->mv_size != PAIR_SIZE)
		return -EBADMSG;
	o->imei = eir_u64_get(k->mv_data);
	o->imsi = eir_u64_get((const uint8_t *)k->mv_data + 8);
	o->first_seen = u32_get(v);
	o->last_seen = u32_get(v + 4);
	o->count = u32_get(v + 8);
	o->verdict = v[19];
	o->would = v[20];
	o->branch = v[21];
	o->iface = v[22];
	o->svn = v[23];
	return msisdn_get(v + 12, &o->msisdn);
}

static void imei_encode(const struct eir_obs_imei *i, uint8_t v[IMEI_SIZE])
{
	u32_put(v, i->first_seen);
	u32_put(v + 4, i->last_seen);
	u32_put(v + 8, i->pairs);
}

static int imei_decode(uint64_t imei, const MDB_val *d, struct eir_obs_imei *i)
{
	const uint8_t *v = d->mv_data;

	if (d->mv_size != IMEI_SIZE)
		return -EBADMSG;
	i->imei = imei;
	i->first_seen = u32_get(v);
	i->last_seen = u32_get(v + 4);
	i->pairs = u32_get(v + 8);
	return 0;
}

/* ----------------------------------------------------------------- meta */

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *key, MDB_val *d)
{
	MDB_val k = val_of(key, strlen(key));

	return lmdb_errno(mdb_get(txn, dbi, &k, d));
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *p, size_t n)
{
	MDB_val k = val_of(key, strlen(key)), d = val_of(p, n);

	return lmdb_errno(mdb_put(txn, dbi, &k, &d, 0));
}

static int meta_del(MDB_txn *txn, MDB_dbi dbi, const char *key)
{
	MDB_val k = val_of(key, strlen(key));
	int rc = mdb_del(txn, dbi, &k, NULL);

	return rc == MDB_NOTFOUND ? 0 : lmdb_errno(rc);
}

/* A u64 meta value; 0 when absent. */
static int meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *v)
{
	MDB_val d;
	int rc = meta_get(txn, dbi, key, &d);

	*v = 0;
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (d.mv_size != 8)
		return -EBADMSG;
	*v = eir_u64_get(d.mv_data);
	return 0;
}

static int meta_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v)
{
	uint8_t b[8];

	eir_u64_put(b, v);
	return meta_put(txn, dbi, key, b, 8);
}

/* oldest and newest last_seen over the pairs, and the least last_seen
 * that the pass in progress has kept or that a merge has added since it
 * began (UINT32_MAX: none yet). */
struct seen {
	uint32_t oldest, newest, pass_min;
};

static int seen_get(MDB_txn *txn, MDB_dbi dbi, struct seen *s)
{
	MDB_val d;
	int rc = meta_get(txn, dbi, META_SEEN, &d);

	*s = (struct seen){ 0, 0, UINT32_MAX };
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (d.mv_size != SEEN_SIZE)
		return -EBADMSG;
	s->oldest = u32_get(d.mv_data);
	s->newest = u32_get((const uint8_t *)d.mv_data + 4);
	s->pass_min = u32_get((const uint8_t *)d.mv_data + 8);
	return 0;
}

static int seen_put(MDB_txn *txn, MDB_dbi dbi, const struct seen *s)
{
	uint8_t b[SEEN_SIZE];

	u32_put(b, s->oldest);
	u32_put(b + 4, s->newest);
	u32_put(b + 8, s->pass_min);
	return meta_put(txn, dbi, META_SEEN, b, sizeof(b));
}

/* A histogram from the meta; false (and h cleared) when absent. */
static int hist_get(MDB_txn *txn, MDB_dbi dbi, const char *key, struct hist *h, bool *found)
{
	MDB_val d;
	int rc = meta_get(txn, dbi, key, &d);
	const uint8_t *p = d.mv_data;

	memset(h, 0, sizeof(*h));
	*found = false;
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (d.mv_size != HIST_SIZE || u32_get(p + 4) != HIST_DAYS)
		return -EBADMSG;
	h->base = u32_get(p);
	for (unsigned i = 0; i < HIST_DAYS; i++)
		h->n[i] = u32_get(p + 8 + 4 * i);
	*found = true;
	return 0;
}

static int hist_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const struct hist *h)
{
	MDB_val k = val_of(key, strlen(key)), d = { .mv_size = HIST_SIZE };
	uint8_t *p;
	int rc = mdb_put(txn, dbi, &k, &d, MDB_RESERVE);

	if (rc)
		return lmdb_errno(rc);
	p = d.mv_data;
	u32_put(p, h->base);
	u32_put(p + 4, HIST_DAYS);
	for (unsigned i = 0; i < HIST_DAYS; i++)
		u32_put(p + 8 + 4 * i, h->n[i]);
	return 0;
}

static void hist_add(struct hist *h, uint32_t last_seen)
{
	uint32_t day = last_seen / DAY;
	uint32_t i = day <= h->base ? 0 : day - h->base >= HIST_DAYS ? HIST_DAYS - 1 : day - h->base;

	h->n[i] = add_sat(h->n[i], 1);
}

/* The cap's cutoff for a pass: the end of the oldest days of the last
 * full pass that together hold at least the pairs above max_pairs (whole
 * days: it may take a little more). The newest day is never cut. 0 when
 * nothing is above the cap or no pass has been completed yet. */
static uint32_t cap_cutoff(const struct hist *h, bool have, uint64_t pairs, uint64_t max_pairs)
{
	uint64_t excess, acc = 0;

	if (!max_pairs || !have || pairs <= max_pairs)
		return 0;
	excess = pairs - max_pairs;
	for (unsigned i = 0; i < HIST_DAYS - 1; i++) {
		acc += h->n[i];
		if (acc >= excess)
			return (h->base + i + 1) * DAY;
	}
	return (h->base + HIST_DAYS - 1) * DAY;
}

/* ------------------------------------------------------------ open/close */

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, DIR_MODE) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, DIR_MODE) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int open_dbis(struct eir_obs_db *db, MDB_txn *txn, unsigned flags)
{
	int rc = mdb_dbi_open(txn, DBI_META, flags, &db->meta);

	if (!rc)
		rc = mdb_dbi_open(txn, DBI_PAIR, flags, &db->pair);
	if (!rc)
		rc = mdb_dbi_open(txn, DBI_IMEI, flags, &db->imei);
	if (!rc)
		rc = mdb_dbi_open(txn, DBI_IMSI, flags, &db->imsi);
	if (!rc) {
		/* Added later than the others: a writer creates it in any
		 * store, a reader of an older one goes without. */
		int r = mdb_dbi_open(txn, DBI_NOTIFY, db->writable ? MDB_CREATE : 0, &db->notify);

		db->has_notify = r == 0;
		if (r && r != MDB_NOTFOUND)
			rc = r;
	}
	return rc;
}

/* A new store: the sub-databases and the meta, in the caller's txn. */
static int create_store(struct eir_obs_db *db, MDB_txn *txn)
{
	struct seen s = { 0, 0, UINT32_MAX };
	int rc = lmdb_errno(open_dbis(db, txn, MDB_CREATE));

	if (!rc)
		rc = meta_put_u64(txn, db->meta, META_SCHEMA, EIR_OBS_SCHEMA_VERSION);
	if (!rc)
		rc = meta_put(txn, db->meta, META_FORMAT, OBS_FORMAT, strlen(OBS_FORMAT));
	if (!rc)
		rc = meta_put_u64(txn, db->meta, META_CREATED, (uint64_t)time(NULL));
	if (!rc)
		rc = meta_put_u64(txn, db->meta, META_EXPIRED, 0);
	if (!rc)
		rc = meta_put_u64(txn, db->meta, META_IMSIS, 0);
	if (!rc)
		rc = seen_put(txn, db->meta, &s);
	return rc;
}

/* Open (or, for a writer, create) the sub-databases and check the schema. */
static int attach(struct eir_obs_db *db, char *err, size_t errsz)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_val d;
	uint64_t schema;
	int rc = mdb_txn_begin(db->env, NULL, db->writable ? 0 : MDB_RDONLY, &txn);

	if (rc) {
		seterr(err, errsz, "%s: cannot begin a transaction: %s", db->dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	rc = open_dbis(db, txn, 0);
	if (rc == MDB_NOTFOUND) {
		/* No sub-databases: a new environment, or another kind. */
		MDB_dbi main_dbi;
		rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
		if (!rc)
			rc = mdb_stat(txn, main_dbi, &ms);
		if (rc) {
			rc = lmdb_errno(rc);
			seterr(err, errsz, "%s: %s", db->dir, strerror(-rc));
		} else if (ms.ms_entries) {
			rc = -EPROTO;
			seterr(err, errsz, "%s: an LMDB environment that is not an observation store", db->dir);
		} else if (!db->writable) {
			rc = -ENOENT;
			seterr(err, errsz, "%s: the observation store is not initialised yet", db->dir);
		} else {
			rc = create_store(db, txn);
			if (rc)
				seterr(err, errsz, "%s: cannot create the observation store: %s",
				       db->dir, strerror(-rc));
		}
	} else if (rc) {
		rc = lmdb_errno(rc);
		seterr(err, errsz, "%s: %s", db->dir, strerror(-rc));
	}
	if (rc)
		goto fail;
	rc = meta_get(txn, db->meta, META_FORMAT, &d);
	if (rc || d.mv_size != strlen(OBS_FORMAT) || memcmp(d.mv_data, OBS_FORMAT, d.mv_size)) {
		rc = -EPROTO;
		seterr(err, errsz, "%s: not an observation store (no format mark in its meta)", db->dir);
		goto fail;
	}
	rc = meta_get_u64(txn, db->meta, META_SCHEMA, &schema);
	if (rc || schema != EIR_OBS_SCHEMA_VERSION) {
		rc = -EPROTO;
		seterr(err, errsz, "%s: observation store schema version %llu, this build reads version %d",
		       db->dir, (unsigned long long)schema, EIR_OBS_SCHEMA_VERSION);
		goto fail;
	}
	/* Committing (even a read txn) keeps the dbi handles for later txns. */
	rc = mdb_txn_commit(txn);
	if (rc) {
		seterr(err, errsz, "%s: cannot commit: %s", db->dir, mdb_strerror(rc));
		return lmdb_errno(rc);
	}
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

int eir_obs_open(struct eir_obs_db **out, const char *dir, bool writable,
		 uint64_t map_bytes, char *err, size_t errsz)
{
	char path[PATH_MAX];
	struct eir_obs_db *db;
	struct stat st;
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
	int rc;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/" DATA_FILE, dir) >= (int)sizeof(path)) {
		seterr(err, errsz, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	if (writable) {
		rc = mkdir_p(dir);
		if (rc) {
			seterr(err, errsz, "cannot create %s: %s", dir, strerror(-rc));
			return rc;
		}
		/* A commit writes the data pages, fsyncs, then writes the meta
		 * page without a second fsync: a system crash may lose the last
		 * commit, never more (the next commit's fsync makes the meta
		 * page before it durable) and never consistency. */
		flags |= MDB_NOMETASYNC;
	} else {
		if (stat(path, &st) < 0) {
			rc = -errno;
			seterr(err, errsz, "no observation store in %s (%s: %s)", dir, path, strerror(errno));
			return rc;
		}
		flags |= MDB_RDONLY;
	}
	db = calloc(1, sizeof(*db));
	if (!db || !(db->dir = strdup(dir))) {
		free(db);
		seterr(err, errsz, "%s: out of memory", dir);
		return -ENOMEM;
	}
	db->writable = writable;
	rc = mdb_env_create(&db->env);
	if (!rc)
		rc = mdb_env_set_maxdbs(db->env, 5);
	if (!rc && writable)
		rc = mdb_env_set_mapsize(db->env, map_bytes ? map_bytes : DEFAULT_MAP);
	if (rc) {
		seterr(err, errsz, "%s: %s", dir, mdb_strerror(rc));
		rc = lmdb_errno(rc);
		goto fail;
	}
	rc = mdb_env_open(db->env, dir, flags, FILE_MODE);
	if (rc) {
		seterr(err, errsz, "%s: cannot open the observation store: %s", dir, mdb_strerror(rc));
		rc = lmdb_errno(rc);
		goto fail;
	}
	rc = attach(db, err, errsz);
	if (rc)
		goto fail;
	*out = db;
	return 0;
fail:
	if (db->env)
		mdb_env_close(db->env);
	free(db->dir);
	free(db);
	return rc;
}

void eir_obs_close(struct eir_obs_db *db)
{
	if (!db)
		return;
	if (db->rtxn)
		mdb_txn_abort(db->rtxn);
	mdb_env_close(db->env);
	free(db->dir);
	free(db);
}

/* --------------------------------------------------------------- reading */

static int rtxn_start(struct eir_obs_db *db)
{
	int rc = 0;

	for (int tries = 0; tries < 3; tries++) {
		if (db->rtxn)
			rc = mdb_txn_renew(db->rtxn);
		else
			rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &db->rtxn);
		if (rc == MDB_MAP_RESIZED) {
			/* The writer grew the map: adopt its size and retry. */
			if (db->rtxn) {
				mdb_txn_abort(db->rtxn);
				db->rtxn = NULL;
			}
			mdb_env_set_mapsize(db->env, 0);
			continue;
		}
		if (rc == MDB_READERS_FULL) {
			int dead;
			mdb_reader_check(db->env, &dead);
			continue;
		}
		break;
	}
	if (rc)
		return lmdb_errno(rc);
	db->rtxn_live = true;
	return 0;
}

int eir_obs_begin(struct eir_obs_db *db)
{
	eir_obs_end(db);
	return rtxn_start(db);
}

void eir_obs_end(struct eir_obs_db *db)
{
	if (db->rtxn_live)
		mdb_txn_reset(db->rtxn);
	db->rtxn_live = false;
}

static int ensure_txn(struct eir_obs_db *db)
{
	return db->rtxn_live ? 0 : rtxn_start(db);
}

int eir_obs_get_imei(struct eir_obs_db *db, uint64_t imei, struct eir_obs_imei *out)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	int rc = ensure_txn(db);

	if (rc)
		return rc;
	eir_u64_put(kb, imei);
	rc = mdb_get(db->rtxn, db->imei, &k, &d);
	return rc ? lmdb_errno(rc) : imei_decode(imei, &d, out);
}

int eir_obs_get_pair(struct eir_obs_db *db, uint64_t imei, uint64_t imsi, struct eir_obs *out)
{
	uint8_t kb[KEY_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), d;
	int rc = ensure_txn(db);

	if (rc)
		return rc;
	key_put(kb, imei, imsi);
	rc = mdb_get(db->rtxn, db->pair, &k, &d);
	return rc ? lmdb_errno(rc) : pair_decode(&k, &d, out);
}

/* Pairs in key order from (imei, imsi_from) while the IMEI is imei (or to
 * the end when all); only those overlapping [since, until]. */
static int walk_pair_keys(struct eir_obs_db *db, uint64_t imei, bool all,
			  uint32_t since, uint32_t until, eir_obs_cb cb, void *ctx)
{
	uint8_t kb[KEY_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), d;
	MDB_cursor *c;
	int rc = ensure_txn(db), mrc;

	if (rc)
		return rc;
	mrc = mdb_cursor_open(db->rtxn, db->pair, &c);
	if (mrc)
		return lmdb_errno(mrc);
	key_put(kb, all ? 0 : imei, 0);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_obs o;

		rc = pair_decode(&k, &d, &o);
		if (rc)
			goto out;
		if (!all && o.imei != imei)
			break;
		if (o.first_seen > until || o.last_seen < since)
			continue;
		rc = cb(ctx, &o);
		if (rc)
			goto out;
	}
	rc = mrc && mrc != MDB_NOTFOUND ? lmdb_errno(mrc) : 0;
out:
	mdb_cursor_close(c);
	return rc;
}

int eir_obs_walk_imei(struct eir_obs_db *db, uint64_t imei, eir_obs_cb cb, void *ctx)
{
	return walk_pair_keys(db, imei, false, 0, UINT32_MAX, cb, ctx);
}

int eir_obs_walk_pairs(struct eir_obs_db *db, uint32_t since, uint32_t until, eir_obs_cb cb, void *ctx)
{
	return walk_pair_keys(db, 0, true, since, until, cb, ctx);
}

int eir_obs_walk_imsi(struct eir_obs_db *db, uint64_t imsi, eir_obs_cb cb, void *ctx)
{
	uint8_t kb[KEY_SIZE], pb[KEY_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), d, pk = val_of(pb, KEY_SIZE), pd;
	MDB_cursor *c;
	int rc = ensure_txn(db), mrc;

	if (rc)
		return rc;
	if (!imsi)
		return 0;	/* IMSI 0 is not indexed */
	mrc = mdb_cursor_open(db->rtxn, db->imsi, &c);
	if (mrc)
		return lmdb_errno(mrc);
	key_put(kb, imsi, 0);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_obs o;

		if (k.mv_size != KEY_SIZE) {
			rc = -EBADMSG;
			goto out;
		}
		if (eir_u64_get(k.mv_data) != imsi)
			break;
		key_put(pb, eir_u64_get((const uint8_t *)k.mv_data + 8), imsi);
		mrc = mdb_get(db->rtxn, db->pair, &pk, &pd);
		/* One snapshot: an index entry without its pair is damage. */
		rc = mrc ? (mrc == MDB_NOTFOUND ? -EBADMSG : lmdb_errno(mrc)) : pair_decode(&pk, &pd, &o);
		if (rc)
			goto out;
		rc = cb(ctx, &o);
		if (rc)
			goto out;
	}
	rc = mrc && mrc != MDB_NOTFOUND ? lmdb_errno(mrc) : 0;
out:
	mdb_cursor_close(c);
	return rc;
}

int eir_obs_walk_imeis(struct eir_obs_db *db, uint32_t since, uint32_t until, eir_obs_imei_cb cb, void *ctx)
{
	MDB_val k, d;
	MDB_cursor *c;
	int rc = ensure_txn(db), mrc;

	if (rc)
		return rc;
	mrc = mdb_cursor_open(db->rtxn, db->imei, &c);
	if (mrc)
		return lmdb_errno(mrc);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_obs_imei i;

		rc = k.mv_size == 8 ? imei_decode(eir_u64_get(k.mv_data), &d, &i) : -EBADMSG;
		if (rc)
			goto out;
		if (i.last_seen < since || i.first_seen > until)
			continue;
		rc = cb(ctx, &i);
		if (rc)
			goto out;
	}
	rc = mrc && mrc != MDB_NOTFOUND ? lmdb_errno(mrc) : 0;
out:
	mdb_cursor_close(c);
	return rc;
}

static uint64_t tree_pages(const MDB_stat *ms)
{
	return ms->ms_branch_pages + ms->ms_leaf_pages + ms->ms_overflow_pages;
}

int eir_obs_stat(struct eir_obs_db *db, struct eir_obs_stat *st)
{
	char path[PATH_MAX];
	MDB_stat ms;
	MDB_envinfo ei;
	struct stat fst;
	struct seen seen;
	uint64_t pages = 2;	/* the two meta pages */
	unsigned psize;
	const MDB_dbi trees[] = { 0 /* free list */, 1 /* main */, db->pair, db->imei, db->imsi, db->meta };
	int rc = ensure_txn(db);

	if (rc)
		return rc;
	memset(st, 0, sizeof(*st));
	rc = mdb_env_stat(db->env, &ms);
	if (rc)
		return lmdb_errno(rc);
	psize = ms.ms_psize;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		rc = mdb_stat(db->rtxn, trees[i], &ms);
		if (rc)
			return lmdb_errno(rc);
		pages += tree_pages(&ms);
		if (i + 1 == sizeof(trees) / sizeof(trees[0]) && db->has_notify) {
			rc = mdb_stat(db->rtxn, db->notify, &ms);
			if (rc)
				return lmdb_errno(rc);
			pages += tree_pages(&ms);
		}
		if (trees[i] == db->pair)
			st->pairs = ms.ms_entries;
		else if (trees[i] == db->imei)
			st->imeis = ms.ms_entries;
	}
	st->used_bytes = pages * psize;
	rc = mdb_env_info(db->env, &ei);
	if (rc)
		return lmdb_errno(rc);
	st->map_bytes = ei.me_mapsize;
	snprintf(path, sizeof(path), "%s/" DATA_FILE, db->dir);
	st->file_bytes = stat(path, &fst) == 0 ? (uint64_t)fst.st_size : 0;
	rc = meta_get_u64(db->rtxn, db->meta, META_IMSIS, &st->imsis);
	if (!rc)
		rc = meta_get_u64(db->rtxn, db->meta, META_CREATED, &st->created);
	if (!rc)
		rc = meta_get_u64(db->rtxn, db->meta, META_EXPIRED, &st->expired);
	if (!rc)
		rc = seen_get(db->rtxn, db->meta, &seen);
	if (rc)
		return rc;
	if (st->pairs) {
		st->oldest_seen = seen.oldest;
		st->newest_seen = seen.newest;
	}
	return 0;
}

/* --------------------------------------------------------------- writing */

/* A 16-octet key to sort: hi, lo as the B-tree orders them, and where
 * it came from. */
struct sort_key {
	uint64_t hi, lo;
	uint32_t idx;
};

static unsigned key_byte(const struct sort_key *k, unsigned d)
{
	return (unsigned)((d < 8 ? k->lo >> (8 * d) : k->hi >> (8 * (d - 8))) & 0xff);
}

/* LSD radix sort by (hi, lo), stable, a byte a pass; passes whose byte is
 * the same in every key are skipped (the IMEI's top octets, the IMSI's
 * digit count). tmp has room for n keys. Returns the sorted array: a or
 * tmp. */
static struct sort_key *radix_sort(struct sort_key *a, struct sort_key *tmp, size_t n)
{
	static const unsigned digits = 16;
	size_t (*count)[256] = calloc(digits, sizeof(*count));
	struct sort_key *src = a, *dst = tmp;

	if (!count)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < digits; d++)
			count[d][key_byte(&a[i], d)]++;
	for (unsigned d = 0; d < digits; d++) {
		size_t sum = 0, *c = count[d];
		struct sort_key *t;

		if (c[key_byte(&a[0], d)] == n)
			continue;
		for (unsigned v = 0; v < 256; v++) {
			size_t x = c[v];
			c[v] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[key_byte(&src[i], d)]++] = src[i];
		t = src, src = dst, dst = t;
	}
	free(count);
	return src;
}

/* Fold e (seen later in the batch, or the batch entry) into s (stored, or
 * earlier), per observed.h. */
static void obs_fold(struct eir_obs *s, const struct eir_obs *e)
{
	bool newer = e->last_seen >= s->last_seen;

	if (newer || !s->msisdn) {
		if (e->msisdn)
			s->msisdn = e->msisdn;
	}
	if (newer) {
		s->verdict = e->verdict;
		s->would = e->would;
		s->branch = e->branch;
		s->iface = e->iface;
		s->svn = e->svn;
	}
	s->first_seen = min32(s->first_seen, e->first_seen);
	s->last_seen = max32(s->last_seen, e->last_seen);
	s->count = add_sat(s->count, e->count);
}

/* One pair into the store: merged into the stored one, or added. */
static int merge_pair(MDB_cursor *pc, const struct eir_obs *e, bool *added)
{
	uint8_t kb[KEY_SIZE], vb[PAIR_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), d = val_of(vb, PAIR_SIZE);
	struct eir_obs s;
	int rc;

	key_put(kb, e->imei, e->imsi);
	pair_encode(e, vb);
	/* One search: an insert, or the stored value with the cursor on it. */
	rc = mdb_cursor_put(pc, &k, &d, MDB_NOOVERWRITE);
	*added = rc == 0;
	if (rc != MDB_KEYEXIST)
		return lmdb_errno(rc);
	rc = pair_decode(&k, &d, &s);
	if (rc)
		return rc;
	obs_fold(&s, e);
	pair_encode(&s, vb);
	d = val_of(vb, PAIR_SIZE);
	return lmdb_errno(mdb_cursor_put(pc, &k, &d, MDB_CURRENT));
}

/* The IMEI's entry after its pairs in the batch: first/last/new pairs. */
static int merge_imei(MDB_cursor *ic, uint64_t imei, uint32_t first, uint32_t last,
		      uint32_t added, bool *is_new)
{
	uint8_t kb[8], vb[IMEI_SIZE];
	MDB_val k = val_of(kb, 8), d = val_of(vb, IMEI_SIZE);
	struct eir_obs_imei i = { imei, first, last, added };
	int rc;

	eir_u64_put(kb, imei);
	imei_encode(&i, vb);
	rc = mdb_cursor_put(ic, &k, &d, MDB_NOOVERWRITE);
	*is_new = rc == 0;
	if (rc != MDB_KEYEXIST)
		return lmdb_errno(rc);
	rc = imei_decode(imei, &d, &i);
	if (rc)
		return rc;
	i.first_seen = min32(i.first_seen, first);
	i.last_seen = max32(i.last_seen, last);
	i.pairs = add_sat(i.pairs, added);
	imei_encode(&i, vb);
	d = val_of(vb, IMEI_SIZE);
	return lmdb_errno(mdb_cursor_put(ic, &k, &d, MDB_CURRENT));
}

/* Does the index hold an entry of imsi (cursor c on the index)? */
static int index_has_imsi(MDB_cursor *c, uint64_t imsi)
{
	uint8_t kb[KEY_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), d;
	int rc;

	key_put(kb, imsi, 0);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_errno(rc);
	return k.mv_size == KEY_SIZE && eir_u64_get(k.mv_data) == imsi;
}

/* The new pairs' index entries (hi = IMSI, lo = IMEI), and the distinct
 * IMSIs they add. keys and tmp have room for n. */
static int merge_index(MDB_txn *txn, MDB_dbi dbi, struct sort_key *keys, struct sort_key *tmp,
		       size_t n, uint64_t *new_imsis)
{
	uint8_t kb[KEY_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), d = { 0, NULL };
	MDB_cursor *c;
	int rc = mdb_cursor_open(txn, dbi, &c);

	if (rc)
		return lmdb_errno(rc);
	if (n && !(keys = radix_sort(keys, tmp, n))) {
		mdb_cursor_close(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		if (!i || keys[i].hi != keys[i - 1].hi) {
			rc = index_has_imsi(c, keys[i].hi);
			if (rc < 0)
				break;
			if (!rc)
				(*new_imsis)++;
		}
		key_put(kb, keys[i].hi, keys[i].lo);
		k = val_of(kb, KEY_SIZE);
		rc = mdb_cursor_put(c, &k, &d, MDB_NOOVERWRITE);
		rc = rc == MDB_KEYEXIST ? 0 : lmdb_errno(rc);
	}
	mdb_cursor_close(c);
	return rc < 0 ? rc : 0;
}

/* The batch into b sorted by key, repeated keys folded (in batch order):
 * the count kept, or 0 when out of memory. keys and tmp have room for n. */
static size_t sort_batch(const struct eir_obs *batch, size_t n, struct eir_obs *b,
			 struct sort_key *keys, struct sort_key *tmp)
{
	struct sort_key *sorted;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		keys[i] = (struct sort_key){ batch[i].imei, batch[i].imsi, (uint32_t)i };
	sorted = radix_sort(keys, tmp, n);
	if (!sorted)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct eir_obs *e = &batch[sorted[i].idx];

		if (m && b[m - 1].imei == e->imei && b[m - 1].imsi == e->imsi)
			obs_fold(&b[m - 1], e);
		else
			b[m++] = *e;
	}
	return m;
}

static int merge_txn(struct eir_obs_db *db, MDB_txn *txn, struct eir_obs *b, size_t n,
		     struct sort_key *idx, struct sort_key *tmp, struct eir_obs_merge_stats *st)
{
	MDB_cursor *pc = NULL, *ic = NULL;
	struct seen seen;
	uint64_t imsis, new_imsis = 0;
	size_t n_idx = 0;
	int rc = mdb_cursor_open(txn, db->pair, &pc);

	if (!rc)
		rc = mdb_cursor_open(txn, db->imei, &ic);
	rc = lmdb_errno(rc);
	if (!rc)
		rc = seen_get(txn, db->meta, &seen);
	for (size_t i = 0; i < n && !rc;) {
		uint64_t imei = b[i].imei;
		uint32_t first = UINT32_MAX, last = 0, added = 0;
		bool is_new;

		for (; i < n && b[i].imei == imei && !rc; i++) {
			bool pair_new;

			rc = merge_pair(pc, &b[i], &pair_new);
			if (rc)
				break;
			first = min32(first, b[i].first_seen);
			last = max32(last, b[i].last_seen);
			seen.newest = max32(seen.newest, b[i].last_seen);
			if (!pair_new) {
				st->updated++;
				continue;
			}
			st->new_pairs++;
			added++;
			/* A new pair can be older than any stored: the bounds follow. */
			if (!seen.oldest || b[i].last_seen < seen.oldest)
				seen.oldest = b[i].last_seen;
			seen.pass_min = min32(seen.pass_min, b[i].last_seen);
			if (b[i].imsi)
				idx[n_idx++] = (struct sort_key){ b[i].imsi, imei, 0 };
		}
		if (!rc)
			rc = merge_imei(ic, imei, first, last, added, &is_new);
		if (!rc && is_new)
			st->new_imeis++;
	}
	if (pc)
		mdb_cursor_close(pc);
	if (ic)
		mdb_cursor_close(ic);
	if (!rc)
		rc = merge_index(txn, db->imsi, idx, tmp, n_idx, &new_imsis);
	if (!rc && new_imsis) {
		rc = meta_get_u64(txn, db->meta, META_IMSIS, &imsis);
		if (!rc)
			rc = meta_put_u64(txn, db->meta, META_IMSIS, imsis + new_imsis);
	}
	if (!rc)
		rc = seen_put(txn, db->meta, &seen);
	return rc;
}

int eir_obs_merge(struct eir_obs_db *db, const struct eir_obs *batch, size_t n,
		  struct eir_obs_merge_stats *st)
{
	struct eir_obs_merge_stats local = { 0 };
	struct eir_obs *b;
	struct sort_key *keys, *tmp;
	MDB_txn *txn;
	int rc = -ENOMEM;

	if (st)
		*st = local;
	if (!db->writable)
		return -EBADF;
	if (!n)
		return 0;
	if (n > UINT32_MAX)
		return -E2BIG;
	/* Sorted, the batch walks the B-trees in order: each search mostly
	 * lands on the leaf page the previous one left the cursor on. */
	b = malloc(n * sizeof(*b));
	keys = malloc(n * sizeof(*keys));
	tmp = malloc(n * sizeof(*tmp));
	if (!b || !keys || !tmp)
		goto out;
	n = sort_batch(batch, n, b, keys, tmp);
	if (!n)
		goto out;
	rc = lmdb_errno(mdb_txn_begin(db->env, NULL, 0, &txn));
	if (!rc) {
		/* keys is free again: it takes the index entries. */
		rc = merge_txn(db, txn, b, n, keys, tmp, &local);
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = lmdb_errno(mdb_txn_commit(txn));
	}
out:
	free(b);
	free(keys);
	free(tmp);
	if (!rc && st)
		*st = local;
	return rc;
}

/* ------------------------------------------------------- notification marks */

int eir_obs_claim(struct eir_obs_db *db, struct eir_obs_claim *c, size_t n, eir_obs_claim_cb emit, void *ctx)
{
	MDB_txn *txn;
	int rc;

	if (!db->writable || !db->has_notify)
		return -EBADF;
	if (!n)
		return 0;
	rc = lmdb_errno(mdb_txn_begin(db->env, NULL, 0, &txn));
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		uint8_t kb[KEY_SIZE], vb[NOTIFY_SIZE] = { 0 };
		MDB_val k = val_of(kb, KEY_SIZE), d;
		uint8_t done = 0;

		key_put(kb, c[i].imei, c[i].imsi);
		rc = mdb_get(txn, db->notify, &k, &d);
		if (rc == 0 && d.mv_size == NOTIFY_SIZE) {
			const uint8_t *p = d.mv_data;

			/* Marks for another cut-off day do not count: the
			 * grace end moved, its events are new ones. */
			if ((uint16_t)(p[0] << 8 | p[1]) == c[i].day)
				done = p[2];
		} else if (rc && rc != MDB_NOTFOUND) {
			rc = lmdb_errno(rc);
			break;
		}
		rc = 0;
		c[i].fresh = c[i].want & (uint8_t)~done;
		if (!c[i].fresh)
			continue;
		vb[0] = (uint8_t)(c[i].day >> 8), vb[1] = (uint8_t)c[i].day, vb[2] = done | c[i].want;
		d = val_of(vb, NOTIFY_SIZE);
		rc = lmdb_errno(mdb_put(txn, db->notify, &k, &d, 0));
	}
	if (!rc)
		rc = emit(ctx, c, n);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return lmdb_errno(mdb_txn_commit(txn));
}

/* ---------------------------------------------------------------- expiry */

/* Delete the pair under pc; its IMEI's entry and its index entry follow
 * (xc: a cursor on the index). */
static int expire_pair(struct eir_obs_db *db, MDB_txn *txn, MDB_cursor *pc, MDB_cursor *xc,
		       const struct eir_obs *o, uint64_t *imsis)
{
	uint8_t kb[KEY_SIZE], ib[8], vb[IMEI_SIZE];
	MDB_val k = val_of(kb, KEY_SIZE), ik = val_of(ib, 8), d;
	struct eir_obs_imei i;
	int rc = mdb_cursor_del(pc, 0);

	if (rc)
		return lmdb_errno(rc);
	if (db->has_notify) {
		key_put(kb, o->imei, o->imsi);
		rc = mdb_del(txn, db->notify, &k, NULL);
		if (rc && rc != MDB_NOTFOUND)
			return lmdb_errno(rc);
	}
	if (o->imsi) {
		key_put(kb, o->imsi, o->imei);
		rc = mdb_del(txn, db->imsi, &k, NULL);
		if (rc && rc != MDB_NOTFOUND)
			return lmdb_errno(rc);
		rc = index_has_imsi(xc, o->imsi);
		if (rc < 0)
			return rc;
		if (!rc && *imsis)
			(*imsis)--;
	}
	eir_u64_put(ib, o->imei);
	rc = mdb_get(txn, db->imei, &ik, &d);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : lmdb_errno(rc);
	rc = imei_decode(o->imei, &d, &i);
	if (rc)
		return rc;
	if (i.pairs <= 1)
		return lmdb_errno(mdb_del(txn, db->imei, &ik, NULL));
	i.pairs--;
	imei_encode(&i, vb);
	d = val_of(vb, IMEI_SIZE);
	return lmdb_errno(mdb_put(txn, db->imei, &ik, &d, 0));
}

/* The pass's state from the meta: where it stands, its histogram so far,
 * the cap it applies. */
struct sweep {
	bool running;
	uint8_t pos[KEY_SIZE];
	struct hist hist;	/* this pass */
	struct hist last;	/* the last full pass */
	bool have_last;
	uint64_t cap_max;
	uint32_t cap_cut;
	struct seen seen;
	uint64_t expired, imsis;
};

static int sweep_load(struct eir_obs_db *db, MDB_txn *txn, struct sweep *s)
{
	MDB_val d;
	bool found;
	int rc = meta_get(txn, db->meta, META_POS, &d);

	if (rc && rc != -ENOENT)
		return rc;
	s->running = rc == 0;
	if (s->running) {
		if (d.mv_size != KEY_SIZE)
			return -EBADMSG;
		memcpy(s->pos, d.mv_data, KEY_SIZE);
	}
	rc = hist_get(txn, db->meta, META_HIST, &s->hist, &found);
	if (!rc)
		rc = hist_get(txn, db->meta, META_CAPHIST, &s->last, &s->have_last);
	if (!rc)
		rc = seen_get(txn, db->meta, &s->seen);
	if (!rc)
		rc = meta_get_u64(txn, db->meta, META_EXPIRED, &s->expired);
	if (!rc)
		rc = meta_get_u64(txn, db->meta, META_IMSIS, &s->imsis);
	if (rc)
		return rc;
	if (s->running && !found)
		return -EBADMSG;
	rc = meta_get(txn, db->meta, META_CAP, &d);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (d.mv_size != CAP_SIZE)
		return -EBADMSG;
	s->cap_max = eir_u64_get(d.mv_data);
	s->cap_cut = u32_get((const uint8_t *)d.mv_data + 8);
	return 0;
}

static int sweep_store(struct eir_obs_db *db, MDB_txn *txn, const struct sweep *s, bool ended)
{
	uint8_t cap[CAP_SIZE];
	int rc;

	eir_u64_put(cap, s->cap_max);
	u32_put(cap + 8, s->cap_cut);
	if (ended) {
		rc = hist_put(txn, db->meta, META_CAPHIST, &s->hist);
		if (!rc)
			rc = meta_del(txn, db->meta, META_POS);
		if (!rc)
			rc = meta_del(txn, db->meta, META_HIST);
		if (!rc)
			rc = meta_del(txn, db->meta, META_CAP);
	} else {
		rc = meta_put(txn, db->meta, META_POS, s->pos, KEY_SIZE);
		if (!rc)
			rc = hist_put(txn, db->meta, META_HIST, &s->hist);
		if (!rc)
			rc = meta_put(txn, db->meta, META_CAP, cap, sizeof(cap));
	}
	if (!rc)
		rc = seen_put(txn, db->meta, &s->seen);
	if (!rc)
		rc = meta_put_u64(txn, db->meta, META_EXPIRED, s->expired);
	if (!rc)
		rc = meta_put_u64(txn, db->meta, META_IMSIS, s->imsis);
	return rc;
}

static int expire_txn(struct eir_obs_db *db, MDB_txn *txn, uint32_t cutoff, uint64_t max_pairs,
		      uint64_t budget, uint64_t *expired)
{
	struct sweep *s = calloc(1, sizeof(*s));
	MDB_cursor *pc = NULL, *xc = NULL;
	MDB_val k, d;
	MDB_stat ms;
	uint64_t examined = 0;
	uint32_t cut;
	bool ended = false;
	int rc, mrc;

	if (!s)
		return -ENOMEM;
	rc = sweep_load(db, txn, s);
	if (!rc)
		rc = lmdb_errno(mdb_stat(txn, db->pair, &ms));
	if (rc)
		goto out;
	if (!s->running) {
		/* A new pass: a fresh histogram whose last day is today (or the
		 * newest sighting, if a clock ran ahead). */
		uint32_t top = max32((uint32_t)(time(NULL) / DAY), s->seen.newest / DAY);

		memset(&s->hist, 0, sizeof(s->hist));
		s->hist.base = top >= HIST_DAYS - 1 ? top - (HIST_DAYS - 1) : 0;
		s->seen.pass_min = UINT32_MAX;
	}
	/* The cap's cutoff is fixed per pass, from the last full pass's days
	 * and the pairs stored when the pass began (or the cap changed). */
	if (s->cap_max != max_pairs || !s->running) {
		s->cap_max = max_pairs;
		s->cap_cut = cap_cutoff(&s->last, s->have_last, ms.ms_entries, max_pairs);
	}
	cut = max32(cutoff, max_pairs ? s->cap_cut : 0);

	rc = lmdb_errno(mdb_cursor_open(txn, db->pair, &pc));
	if (!rc)
		rc = lmdb_errno(mdb_cursor_open(txn, db->imsi, &xc));
	if (rc)
		goto out;
	k = val_of(s->pos, KEY_SIZE);
	mrc = mdb_cursor_get(pc, &k, &d, s->running ? MDB_SET_RANGE : MDB_FIRST);
	for (; !mrc; mrc = mdb_cursor_get(pc, &k, &d, MDB_NEXT)) {
		struct eir_obs o;

		if (examined == budget) {
			if (k.mv_size != KEY_SIZE) {
				rc = -EBADMSG;
				goto out;
			}
			memcpy(s->pos, k.mv_data, KEY_SIZE);
			break;
		}
		rc = pair_decode(&k, &d, &o);
		if (rc)
			goto out;
		examined++;
		if (o.last_seen < cut) {
			rc = expire_pair(db, txn, pc, xc, &o, &s->imsis);
			if (rc)
				goto out;
			(*expired)++;
			continue;
		}
		hist_add(&s->hist, o.last_seen);
		s->seen.pass_min = min32(s->seen.pass_min, o.last_seen);
	}
	if (mrc && mrc != MDB_NOTFOUND) {
		rc = lmdb_errno(mrc);
		goto out;
	}
	ended = mrc == MDB_NOTFOUND;
	s->expired += *expired;
	rc = lmdb_errno(mdb_stat(txn, db->pair, &ms));
	if (rc)
		goto out;
	if (!ms.ms_entries) {
		s->seen.oldest = s->seen.newest = 0;
		s->seen.pass_min = UINT32_MAX;
	} else if (ended && s->seen.pass_min != UINT32_MAX) {
		/* Every pair was kept by this pass or added since it began. */
		s->seen.oldest = s->seen.pass_min;
		s->seen.pass_min = UINT32_MAX;
	}
	rc = sweep_store(db, txn, s, ended);
	if (!rc)
		rc = ended ? 1 : 0;
out:
	if (pc)
		mdb_cursor_close(pc);
	if (xc)
		mdb_cursor_close(xc);
	free(s);
	return rc;
}

int eir_obs_expire(struct eir_obs_db *db, uint32_t cutoff, uint64_t max_pairs,
		   uint64_t budget, uint64_t *expired)
{
	uint64_t n = 0;
	MDB_txn *txn;
	int rc, ended;

	if (expired)
		*expired = 0;
	if (!db->writable)
		return -EBADF;
	if (!budget)
		return -EINVAL;
	rc = lmdb_errno(mdb_txn_begin(db->env, NULL, 0, &txn));
	if (rc)
		return rc;
	rc = expire_txn(db, txn, cutoff, max_pairs, budget, &n);
	if (rc < 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	ended = rc;
	rc = lmdb_errno(mdb_txn_commit(txn));
	if (rc)
		return rc;
	if (expired)
		*expired = n;
	return ended;
}
