/* The read-only reader (store.h): the generation in service, batches of
 * lookups in one read transaction, lookups, walks and meta. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store_priv.h"

/* Open the generation that DIR/current points at into s (env, dbis, txn). */
static int store_attach(struct eir_store *s, char *errbuf, size_t errsz)
{
	char path[PATH_MAX + 16];
	struct eir_meta m;
	struct stat st;
	unsigned long gen;
	MDB_txn *txn;
	int rc, tries = 0;

again:
	rc = current_gen(s->dir, &gen);
	if (rc) {
		seterr(errbuf, errsz, "no EIR database in %s (%s/" CURRENT_LINK ": %s)",
		       s->dir, s->dir, strerror(-rc));
		return rc == -EINVAL ? -ENOENT : rc;
	}
	snprintf(s->gen_path, sizeof(s->gen_path), "%s/" GEN_PREFIX "%lu", s->dir, gen);
	snprintf(path, sizeof(path), "%s/" DATA_FILE, s->gen_path);
	if (stat(path, &st) < 0) {
		/* A writer may have replaced and removed it just now. */
		if (errno == ENOENT && tries++ < 3)
			goto again;
		rc = -errno;
		seterr(errbuf, errsz, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = open_env(&s->env, s->gen_path, MDB_RDONLY, 0);
	if (rc) {
		if (rc == -ENOENT && tries++ < 3)
			goto again;
		seterr(errbuf, errsz, "%s: cannot open: %s", s->gen_path, strerror(-rc));
		return rc;
	}
	rc = lmdb_errno(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
	if (!rc)
		rc = open_dbis(txn, &s->dbi, 0);
	if (!rc) {
		rc = read_meta(txn, s->dbi.meta, &m);
		if (!rc && m.schema != EIR_SCHEMA_VERSION)
			rc = -EPROTO;
		if (rc == -EPROTO)
			seterr(errbuf, errsz, "%s: database schema version %llu, this build reads version %d",
			       s->gen_path, (unsigned long long)m.schema, EIR_SCHEMA_VERSION);
	} else if (rc == -ENOENT) {
		rc = -EPROTO;
		seterr(errbuf, errsz, "%s: not an EIR database (sub-databases missing)", s->gen_path);
	}
	if (rc) {
		if (rc != -EPROTO)
			seterr(errbuf, errsz, "%s: %s", s->gen_path, strerror(-rc));
		mdb_txn_abort(txn);
		mdb_env_close(s->env);
		s->env = NULL;
		return rc;
	}
	/* Committing the read txn makes the dbi handles usable by later txns. */
	mdb_txn_commit(txn);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->txn = NULL;
	s->txn_live = false;
	return 0;
}

static void store_detach(struct eir_store *s)
{
	if (s->txn)
		mdb_txn_abort(s->txn);
	s->txn = NULL;
	s->txn_live = false;
	if (s->env)
		mdb_env_close(s->env);
	s->env = NULL;
}

int eir_store_open(struct eir_store **out, const char *dir, char *errbuf, size_t errsz)
{
	struct eir_store *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->dir = strdup(dir);
	if (!s->dir) {
		free(s);
		return -ENOMEM;
	}
	rc = store_attach(s, errbuf, errsz);
	if (rc) {
		free(s->dir);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void eir_store_close(struct eir_store *s)
{
	if (!s)
		return;
	store_detach(s);
	free(s->dir);
	free(s);
}

/* Has a new generation been published since we attached? */
static bool store_replaced(const struct eir_store *s)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" CURRENT_LINK "/" DATA_FILE, s->dir);
	if (stat(path, &st) < 0)
		return false;	/* mid-swap or removed: keep serving what we have */
	return st.st_ino != s->ino || st.st_dev != s->dev;
}

static int txn_start(struct eir_store *s)
{
	int rc;

	for (int tries = 0; tries < 2; tries++) {
		if (s->txn)
			rc = mdb_txn_renew(s->txn);
		else
			rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->txn);
		if (rc == MDB_MAP_RESIZED) {
			/* The writer grew the map: adopt its size and retry. */
			if (s->txn) {
				mdb_txn_abort(s->txn);
				s->txn = NULL;
			}
			mdb_env_set_mapsize(s->env, 0);
			continue;
		}
		if (rc == MDB_READERS_FULL) {
			int dead;
			mdb_reader_check(s->env, &dead);
			continue;
		}
		break;
	}
	if (rc)
		return lmdb_errno(rc);
	s->txn_live = true;
	return 0;
}

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec;
}

/* A generation written before first sightings existed gets them from the
 * first writer that touches it (every writer creates the sub-db). A dbi
 * handle opened in a read transaction lives on only once that transaction
 * commits, and the batch's transaction sees it only from its next renew:
 * so look, at most once a second, in a short transaction of its own
 * before the batch begins. */
static void first_seen_recheck(struct eir_store *s)
{
	uint64_t now = mono_s();
	MDB_txn *txn;

	if (now < s->first_seen_recheck)
		return;
	s->first_seen_recheck = now + 1;
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
		return;
	if (mdb_dbi_open(txn, EIR_DBI_FIRST_SEEN, 0, &s->dbi.first_seen) == 0 &&
	    mdb_txn_commit(txn) == 0) {
		s->dbi.have_first_seen = true;
		return;
	}
	mdb_txn_abort(txn);
}

int eir_store_begin(struct eir_store *s)
{
	if (s->txn_live)
		eir_store_end(s);
	if (store_replaced(s)) {
		struct eir_store fresh = { .dir = s->dir };
		if (store_attach(&fresh, NULL, 0) == 0) {
			store_detach(s);
			memcpy(s->gen_path, fresh.gen_path, sizeof(s->gen_path));
			s->env = fresh.env;
			s->dbi = fresh.dbi;
			s->dev = fresh.dev;
			s->ino = fresh.ino;
			s->reopen_count++;
		}
	}
	if (!s->dbi.have_first_seen)
		first_seen_recheck(s);
	return txn_start(s);
}

void eir_store_end(struct eir_store *s)
{
	if (s->txn_live)
		mdb_txn_reset(s->txn);
	s->txn_live = false;
}

int ensure_txn(struct eir_store *s)
{
	return s->txn_live ? 0 : eir_store_begin(s);
}

int eir_store_get(struct eir_store *s, uint64_t imei, struct eir_record *rec)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	eir_u64_put(kb, imei);
	rc = mdb_get(s->txn, s->dbi.imei, &k, &d);
	if (rc)
		return lmdb_errno(rc);
	return eir_record_decode(d.mv_data, d.mv_size, rec);
}

int decode_range(const MDB_val *k, const MDB_val *d, uint64_t *first,
		 uint64_t *last, struct eir_record *rec)
{
	if (k->mv_size != 8 || d->mv_size < 8 + 2)
		return -EBADMSG;
	*first = eir_u64_get(k->mv_data);
	*last = eir_u64_get(d->mv_data);
	if (*last < *first)
		return -EBADMSG;
	return eir_record_decode((const uint8_t *)d->mv_data + 8, d->mv_size - 8, rec);
}

int eir_store_find_range(struct eir_store *s, uint64_t imei, uint64_t *first,
			 uint64_t *last, struct eir_record *rec)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	MDB_cursor *c;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = mdb_cursor_open(s->txn, s->dbi.range, &c);
	if (rc)
		return lmdb_errno(rc);
	/* The rule covering imei is the one with the greatest first <= imei. */
	eir_u64_put(kb, imei);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	else if (!rc && eir_u64_get(k.mv_data) != imei)
		rc = mdb_cursor_get(c, &k, &d, MDB_PREV);
	if (!rc) {
		rc = decode_range(&k, &d, first, last, rec);
		if (!rc && (*first > imei || *last < imei))
			rc = -ENOENT;
	} else {
		rc = lmdb_errno(rc);
	}
	mdb_cursor_close(c);
	return rc;
}

int eir_store_has_pair(struct eir_store *s, uint64_t imei, uint64_t imsi)
{
	uint8_t kb[8], vb[8];
	MDB_val k = val_of(kb, 8), d = val_of(vb, 8);
	MDB_cursor *c;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = mdb_cursor_open(s->txn, s->dbi.pair, &c);
	if (rc)
		return lmdb_errno(rc);
	eir_u64_put(kb, imei);
	eir_u64_put(vb, imsi);
	rc = mdb_cursor_get(c, &k, &d, MDB_GET_BOTH);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? lmdb_errno(rc) : 1;
}

int cursor_pairs(MDB_cursor *c, uint64_t imei, uint64_t *imsis, size_t max)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	size_t n = 0;
	int rc;

	eir_u64_put(kb, imei);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET);
	while (!rc && n < max) {
		if (d.mv_size != 8)
			return -EBADMSG;
		imsis[n++] = eir_u64_get(d.mv_data);
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT_DUP);
	}
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_errno(rc);
	return (int)n;
}

int eir_store_get_pairs(struct eir_store *s, uint64_t imei, uint64_t *imsis, size_t max)
{
	MDB_cursor *c;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = mdb_cursor_open(s->txn, s->dbi.pair, &c);
	if (rc)
		return lmdb_errno(rc);
	rc = cursor_pairs(c, imei, imsis, max);
	mdb_cursor_close(c);
	return rc;
}

int eir_store_get_first_seen(struct eir_store *s, uint64_t imei, uint32_t *first)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	uint64_t key;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	if (!s->dbi.have_first_seen)
		return -ENOENT;
	eir_u64_put(kb, imei);
	rc = mdb_get(s->txn, s->dbi.first_seen, &k, &d);
	if (rc)
		return lmdb_errno(rc);
	return decode_first_seen(&k, &d, &key, first);
}

int eir_store_walk_first_seen(struct eir_store *s, uint64_t first, uint64_t last,
			      eir_first_seen_cb cb, void *ctx)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	MDB_cursor *c;
	int rc = ensure_txn(s), mrc;

	if (rc || !s->dbi.have_first_seen)
		return rc;
	mrc = mdb_cursor_open(s->txn, s->dbi.first_seen, &c);
	if (mrc)
		return lmdb_errno(mrc);
	eir_u64_put(kb, first);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		uint64_t imei;
		uint32_t t;

		if (k.mv_size == 8 && eir_u64_get(k.mv_data) > last)
			break;
		rc = decode_first_seen(&k, &d, &imei, &t);
		if (rc)
			goto out;
		rc = cb(ctx, imei, t);
		if (rc)
			goto out;
	}
	rc = mrc && mrc != MDB_NOTFOUND ? lmdb_errno(mrc) : 0;
out:
	mdb_cursor_close(c);
	return rc;
}

int eir_store_get_meta(struct eir_store *s, struct eir_meta *m)
{
	int rc = ensure_txn(s);

	return rc ? rc : read_meta(s->txn, s->dbi.meta, m);
}

int eir_store_find_applied(struct eir_store *s, uint64_t seq, struct eir_applied *a)
{
	MDB_val k = val_of(EIR_META_HISTORY, strlen(EIR_META_HISTORY)), d;
	struct eir_applied e;
	struct eir_meta m;
	bool found = false;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = mdb_get(s->txn, s->dbi.meta, &k, &d);
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_errno(rc);
	if (!rc) {
		const char *p = d.mv_data, *end = p + d.mv_size;

		while (history_next(&p, end, &e)) {
			if (e.seq == seq) {
				*a = e;		/* the newest entry for seq wins */
				found = true;
			}
		}
	}
	if (!found && !read_meta(s->txn, s->dbi.meta, &m) && m.seq == seq && (m.kind[0] || m.source[0])) {
		applied_of_meta(&m, a);
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int eir_store_reason_name(struct eir_store *s, uint8_t id, char *out, size_t outsz)
{
	char key[32];
	int rc = ensure_txn(s);

	if (outsz)
		out[0] = '\0';
	if (rc || !id || !outsz)
		return rc;
	snprintf(key, sizeof(key), EIR_META_REASON_PREFIX "%u", id);
	meta_get_str(s->txn, s->dbi.meta, key, out, outsz);
	return 0;
}

/* Records from first to last in key order, with their pairs. A callback's
 * non-zero return stops the walk and is returned as it is. */
int walk_records(MDB_txn *txn, MDB_dbi imei_dbi, MDB_cursor *pc, uint64_t first,
		 uint64_t last, eir_imei_cb cb, void *ctx)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	uint64_t imsis[EIR_MAX_PAIRS];
	MDB_cursor *c;
	int rc, mrc;

	mrc = mdb_cursor_open(txn, imei_dbi, &c);
	if (mrc)
		return lmdb_errno(mrc);
	eir_u64_put(kb, first);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_record rec;
		uint64_t imei;
		int n = 0;

		if (k.mv_size != 8 || eir_record_decode(d.mv_data, d.mv_size, &rec)) {
			rc = -EBADMSG;
			goto out;
		}
		imei = eir_u64_get(k.mv_data);
		if (imei > last)
			break;
		if (rec.flags & EIR_REC_HAS_PAIRS) {
			n = cursor_pairs(pc, imei, imsis, EIR_MAX_PAIRS);
			if (n < 0) {
				rc = n;
				goto out;
			}
		}
		rc = cb(ctx, imei, &rec, imsis, (size_t)n);
		if (rc)
			goto out;
	}
	rc = mrc && mrc != MDB_NOTFOUND ? lmdb_errno(mrc) : 0;
out:
	mdb_cursor_close(c);
	return rc;
}

int eir_store_walk_imei(struct eir_store *s, uint64_t first, uint64_t last,
			eir_imei_cb cb, void *ctx)
{
	MDB_cursor *pc;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = mdb_cursor_open(s->txn, s->dbi.pair, &pc);
	if (rc)
		return lmdb_errno(rc);
	rc = walk_records(s->txn, s->dbi.imei, pc, first, last, cb, ctx);
	mdb_cursor_close(pc);
	return rc;
}

int eir_store_walk_range(struct eir_store *s, uint64_t first, uint64_t last,
			 eir_range_cb cb, void *ctx)
{
	MDB_val k, d;
	MDB_cursor *c;
	int rc = ensure_txn(s), mrc;

	if (rc)
		return rc;
	if (mdb_cursor_open(s->txn, s->dbi.range, &c))
		return -EIO;
	/* LMDB's codes stay in mrc: a callback's value, of either sign, is
	 * returned as it is, never taken for one of them. */
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !mrc;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_record rec;
		uint64_t a, b;

		rc = decode_range(&k, &d, &a, &b, &rec);
		if (rc)
			goto out;
		if (a > last)
			break;
		if (b >= first) {
			rc = cb(ctx, a, b, &rec);
			if (rc)
				goto out;
		}
	}
	rc = mrc && mrc != MDB_NOTFOUND ? lmdb_errno(mrc) : 0;
out:
	mdb_cursor_close(c);
	return rc;
}

uint64_t eir_store_reopen_count(const struct eir_store *s)
{
	return s->reopen_count;
}

const char *eir_store_path(const struct eir_store *s)
{
	return s->gen_path;
}

uint64_t eir_store_file_size(const struct eir_store *s)
{
	char path[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" DATA_FILE, s->gen_path);
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int eir_store_read_meta(const char *dir, struct eir_meta *m)
{
	struct eir_store *s;
	int rc = eir_store_open(&s, dir, NULL, 0);

	if (rc)
		return rc;
	rc = eir_store_get_meta(s, m);
	eir_store_close(s);
	return rc;
}
