/* The EIR database on LMDB (store.h): generations, reader, writer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "imei.h"
#include "store.h"

#define CURRENT_LINK   "current"
#define GEN_PREFIX     "gen-"
#define WRITER_LOCK    "writer.lock"
#define DATA_FILE      "data.mdb"
#define DEFAULT_MAP    (64ULL << 30)
#define MAX_DBS        8
#define REASONS        256
/* Meta key of the history of applied snapshots: one line per snapshot,
 * oldest first, "SEQ KIND CREATED SOURCE\n" ("-" for an empty field).
 * Readers that do not know it ignore it: the schema version stays (the
 * key, EIR_META_HISTORY, is in record.h with the others). */
#define HISTORY_LINE   (64 + EIR_SOURCE_MAX)
/* Free space below which a short write means a full file system. */
#define FULL_FS_SLACK  (1ULL << 20)

static int lmdb_errno(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_DBS_FULL:
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
		return -ENOSPC;
	case MDB_MAP_RESIZED:
	case MDB_READERS_FULL:
		return -EAGAIN;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return -EPROTO;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_BAD_VALSIZE:
		return -EBADMSG;
	case MDB_BAD_TXN:
	case MDB_BAD_RSLOT:
	case MDB_BAD_DBI:
	case MDB_INCOMPATIBLE:
		return -EINVAL;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

static void seterr(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

static MDB_val val_of(const void *p, size_t n)
{
	return (MDB_val){ .mv_size = n, .mv_data = (void *)p };
}

/* -------------------------------------------------------------- generations */

/* gen-N the current link points at: N, or -ENOENT. */
static int current_gen(const char *dir, unsigned long *gen)
{
	char path[PATH_MAX], target[64];
	ssize_t n;
	char *end;

	snprintf(path, sizeof(path), "%s/" CURRENT_LINK, dir);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, GEN_PREFIX, strlen(GEN_PREFIX)))
		return -EBADMSG;
	errno = 0;
	*gen = strtoul(target + strlen(GEN_PREFIX), &end, 10);
	if (errno || *end)
		return -EBADMSG;
	return 0;
}

static int open_env(MDB_env **env, const char *path, unsigned flags, uint64_t map_size)
{
	int rc = mdb_env_create(env);

	if (rc)
		return lmdb_errno(rc);
	rc = mdb_env_set_maxdbs(*env, MAX_DBS);
	if (!rc && map_size)
		rc = mdb_env_set_mapsize(*env, map_size);
	if (!rc)
		rc = mdb_env_open(*env, path, flags | MDB_NOTLS | MDB_NORDAHEAD, 0644);
	if (rc) {
		mdb_env_close(*env);
		*env = NULL;
	}
	return lmdb_errno(rc);
}

struct dbis {
	MDB_dbi imei, range, pair, meta;
};

static int open_dbis(MDB_txn *txn, struct dbis *d, unsigned create)
{
	int rc = mdb_dbi_open(txn, EIR_DBI_IMEI, create, &d->imei);

	if (!rc)
		rc = mdb_dbi_open(txn, EIR_DBI_RANGE, create, &d->range);
	if (!rc)
		rc = mdb_dbi_open(txn, EIR_DBI_PAIR, create | MDB_DUPSORT | MDB_DUPFIXED, &d->pair);
	if (!rc)
		rc = mdb_dbi_open(txn, EIR_DBI_META, create, &d->meta);
	return lmdb_errno(rc);
}

static int meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *v)
{
	MDB_val k = val_of(key, strlen(key)), d;
	int rc = mdb_get(txn, dbi, &k, &d);

	if (rc)
		return lmdb_errno(rc);
	if (d.mv_size != 8)
		return -EBADMSG;
	*v = eir_u64_get(d.mv_data);
	return 0;
}

static void meta_get_str(MDB_txn *txn, MDB_dbi dbi, const char *key, char *out, size_t sz)
{
	MDB_val k = val_of(key, strlen(key)), d;
	size_t n;

	out[0] = '\0';
	if (mdb_get(txn, dbi, &k, &d))
		return;
	n = d.mv_size < sz - 1 ? d.mv_size : sz - 1;
	memcpy(out, d.mv_data, n);
	out[n] = '\0';
}

static int read_meta(MDB_txn *txn, MDB_dbi dbi, struct eir_meta *m)
{
	char key[64];
	int rc;

	memset(m, 0, sizeof(*m));
	rc = meta_get_u64(txn, dbi, EIR_META_SCHEMA, &m->schema);
	if (rc)
		return rc == -ENOENT ? -EPROTO : rc;
	meta_get_str(txn, dbi, EIR_META_KIND, m->kind, sizeof(m->kind));
	meta_get_str(txn, dbi, EIR_META_SOURCE, m->source, sizeof(m->source));
	meta_get_u64(txn, dbi, EIR_META_SEQ, &m->seq);
	meta_get_u64(txn, dbi, EIR_META_CREATED, &m->created);
	meta_get_u64(txn, dbi, EIR_META_IMPORTED, &m->imported);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		snprintf(key, sizeof(key), EIR_META_COUNT_PREFIX "%s", eir_status_name(st));
		meta_get_u64(txn, dbi, key, &m->count[st]);
	}
	meta_get_u64(txn, dbi, EIR_META_COUNT_PREFIX "range", &m->ranges);
	meta_get_u64(txn, dbi, EIR_META_COUNT_PREFIX "paired", &m->paired_imeis);
	return 0;
}

/* Next well-formed history line from *p (malformed ones are skipped):
 * true with *a filled, false at the end. */
static bool history_next(const char **p, const char *end, struct eir_applied *a)
{
	_Static_assert(EIR_SOURCE_MAX == 128 && sizeof(a->kind) == 8, "history line format");

	while (*p < end) {
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
		unsigned long long seq, created;
		char line[HISTORY_LINE];
		int ok = 0;

		if (len < sizeof(line)) {
			memcpy(line, *p, len);
			line[len] = '\0';
			memset(a, 0, sizeof(*a));
			ok = sscanf(line, "%llu %7s %llu %127s", &seq, a->kind, &created, a->source) == 4;
		}
		*p += len + (nl ? 1 : 0);
		if (!ok)
			continue;
		a->seq = seq;
		a->created = created;
		if (!strcmp(a->kind, "-"))
			a->kind[0] = '\0';
		if (!strcmp(a->source, "-"))
			a->source[0] = '\0';
		return true;
	}
	return false;
}

static void applied_of_meta(const struct eir_meta *m, struct eir_applied *a)
{
	memset(a, 0, sizeof(*a));
	a->seq = m->seq;
	a->created = m->created;
	memcpy(a->kind, m->kind, sizeof(a->kind));
	memcpy(a->source, m->source, sizeof(a->source));
}

/* ------------------------------------------------------------------- reader */

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
};

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
	return txn_start(s);
}

void eir_store_end(struct eir_store *s)
{
	if (s->txn_live)
		mdb_txn_reset(s->txn);
	s->txn_live = false;
}

static int ensure_txn(struct eir_store *s)
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

static int decode_range(const MDB_val *k, const MDB_val *d, uint64_t *first,
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

static int cursor_pairs(MDB_cursor *c, uint64_t imei, uint64_t *imsis, size_t max)
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
static int walk_records(MDB_txn *txn, MDB_dbi imei_dbi, MDB_cursor *pc, uint64_t first,
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
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	if (mdb_cursor_open(s->txn, s->dbi.range, &c))
		return -EIO;
	rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
	while (!rc) {
		struct eir_record rec;
		uint64_t a, b;

		rc = decode_range(&k, &d, &a, &b, &rec);
		if (rc)
			break;
		if (a > last) {
			rc = MDB_NOTFOUND;
			break;
		}
		if (b >= first) {
			rc = cb(ctx, a, b, &rec);
			if (rc)
				break;
		}
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : (rc > 0 ? lmdb_errno(rc) : rc);
}

struct verify {
	eir_problem_cb cb;
	void *ctx;
	unsigned found, max;
};

static void problem(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct verify *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (v->found++ >= v->max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->cb(v->ctx, msg);
}

static void verify_reason(struct eir_store *s, struct verify *v, uint8_t id, uint64_t where)
{
	char name[64];

	if (!id)
		return;
	eir_store_reason_name(s, id, name, sizeof(name));
	if (!name[0])
		problem(v, "%014llu: reason id %u is not in the dictionary",
			(unsigned long long)where, id);
}

static void verify_imeis(struct eir_store *s, struct verify *v, struct eir_meta *seen)
{
	MDB_cursor *c, *pc;
	MDB_val k, d;
	uint64_t prev = 0, npairs;
	bool first = true;
	int rc;

	if (mdb_cursor_open(s->txn, s->dbi.imei, &c)) {
		problem(v, "cannot open a cursor on '" EIR_DBI_IMEI "'");
		return;
	}
	if (mdb_cursor_open(s->txn, s->dbi.pair, &pc)) {
		mdb_cursor_close(c);
		problem(v, "cannot open a cursor on '" EIR_DBI_PAIR "'");
		return;
	}
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_record rec;
		uint64_t imei;
		MDB_val pd;

		if (k.mv_size != 8) {
			problem(v, "imei key of %zu octets (expected 8)", k.mv_size);
			continue;
		}
		imei = eir_u64_get(k.mv_data);
		if (imei > EIR_IMEI_MAX)
			problem(v, "imei key %llu has more than 14 digits", (unsigned long long)imei);
		if (!first && imei <= prev)
			problem(v, "%014llu: key out of order after %014llu",
				(unsigned long long)imei, (unsigned long long)prev);
		first = false;
		prev = imei;
		if (eir_record_decode(d.mv_data, d.mv_size, &rec)) {
			problem(v, "%014llu: undecodable record (%zu octets)", (unsigned long long)imei, d.mv_size);
			continue;
		}
		seen->count[rec.status]++;
		verify_reason(s, v, rec.reason, imei);
		npairs = 0;
		if (!mdb_cursor_get(pc, &k, &pd, MDB_SET))
			mdb_cursor_count(pc, &npairs);
		if ((rec.flags & EIR_REC_HAS_PAIRS) && !npairs)
			problem(v, "%014llu: record says paired but has no IMSIs", (unsigned long long)imei);
		if (npairs > EIR_MAX_PAIRS)
			problem(v, "%014llu: %llu paired IMSIs (at most %d)", (unsigned long long)imei,
				(unsigned long long)npairs, EIR_MAX_PAIRS);
		if (rec.flags & EIR_REC_HAS_PAIRS)
			seen->paired_imeis++;
	}
	mdb_cursor_close(c);
	/* Pair entries whose IMEI has no record, or a record without the flag. */
	for (rc = mdb_cursor_get(pc, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(pc, &k, &d, MDB_NEXT_NODUP)) {
		struct eir_record rec;

		if (k.mv_size != 8 || d.mv_size != 8) {
			problem(v, "pair entry with a %zu-octet key and %zu-octet value", k.mv_size, d.mv_size);
			continue;
		}
		if (eir_store_get(s, eir_u64_get(k.mv_data), &rec) || !(rec.flags & EIR_REC_HAS_PAIRS))
			problem(v, "%014llu: paired IMSIs without a paired record",
				(unsigned long long)eir_u64_get(k.mv_data));
	}
	mdb_cursor_close(pc);
}

static void verify_ranges(struct eir_store *s, struct verify *v, struct eir_meta *seen)
{
	MDB_cursor *c;
	MDB_val k, d;
	uint64_t prev_last = 0;
	bool first_one = true;
	int rc;

	if (mdb_cursor_open(s->txn, s->dbi.range, &c)) {
		problem(v, "cannot open a cursor on '" EIR_DBI_RANGE "'");
		return;
	}
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_record rec;
		uint64_t a, b;

		if (decode_range(&k, &d, &a, &b, &rec)) {
			problem(v, "undecodable range entry (%zu/%zu octets)", k.mv_size, d.mv_size);
			continue;
		}
		if (b > EIR_IMEI_MAX)
			problem(v, "range %014llu-%llu: end has more than 14 digits",
				(unsigned long long)a, (unsigned long long)b);
		if (!first_one && a <= prev_last)
			problem(v, "range %014llu-%014llu overlaps the previous one ending %014llu",
				(unsigned long long)a, (unsigned long long)b, (unsigned long long)prev_last);
		first_one = false;
		prev_last = b;
		verify_reason(s, v, rec.reason, a);
		seen->ranges++;
	}
	mdb_cursor_close(c);
}

int eir_store_verify(struct eir_store *s, eir_problem_cb cb, void *ctx, unsigned max_problems)
{
	struct verify v = { .cb = cb, .ctx = ctx, .max = max_problems };
	struct eir_meta m, seen;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = read_meta(s->txn, s->dbi.meta, &m);
	if (rc)
		return rc;
	if (m.schema != EIR_SCHEMA_VERSION)
		problem(&v, "schema version %llu, expected %d", (unsigned long long)m.schema,
			EIR_SCHEMA_VERSION);
	memset(&seen, 0, sizeof(seen));
	verify_imeis(s, &v, &seen);
	verify_ranges(s, &v, &seen);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		if (seen.count[st] != m.count[st])
			problem(&v, "meta count.%s is %llu but %llu records are stored",
				eir_status_name(st), (unsigned long long)m.count[st],
				(unsigned long long)seen.count[st]);
	}
	if (seen.ranges != m.ranges)
		problem(&v, "meta count.range is %llu but %llu ranges are stored",
			(unsigned long long)m.ranges, (unsigned long long)seen.ranges);
	if (seen.paired_imeis != m.paired_imeis)
		problem(&v, "meta count.paired is %llu but %llu paired records are stored",
			(unsigned long long)m.paired_imeis, (unsigned long long)seen.paired_imeis);
	return (int)(v.found > INT_MAX ? INT_MAX : v.found);
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

/* ------------------------------------------------------------------- writer */

struct eir_writer {
	char *dir;
	char gen_path[PATH_MAX];
	unsigned long gen;
	struct eir_writer_opts opts;
	int lock_fd;
	MDB_env *env;
	MDB_txn *txn;
	struct dbis dbi;
	MDB_cursor *pair_cur;
	MDB_cursor *imei_cur;	/* one descent per put: read the old value, replace it */
	struct eir_meta meta;
	bool meta_set;
	struct eir_applied hist[EIR_HISTORY_MAX];	/* before this write, oldest first */
	size_t nhist;
	char *reasons[REASONS];
	bool reasons_dirty;
	int err;
	char errmsg[256];
};

struct eir_lock {
	int fd;
};

/* LMDB reports a short write, which is how a full file system shows, as
 * EIO. Tell it apart by the room left where the data lives. */
static int write_errno(int rc, const char *path)
{
	struct statvfs vfs;
	uint64_t avail;

	if (rc != -EIO || statvfs(path, &vfs) < 0)
		return rc;
	avail = (uint64_t)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) * vfs.f_frsize;
	return avail < FULL_FS_SLACK ? -ENOSPC : rc;
}

static void werr(struct eir_writer *w, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void werr(struct eir_writer *w, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->err)
		return;
	rc = write_errno(rc, w->gen_path);
	w->err = rc;
	va_start(ap, fmt);
	n = vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	/* Data conflicts say it all; system errors get their errno text. */
	if (rc != -EEXIST && rc != -ENOENT && rc != -EINVAL && n >= 0 && (size_t)n < sizeof(w->errmsg))
		snprintf(w->errmsg + n, sizeof(w->errmsg) - (size_t)n, ": %s", strerror(-rc));
}

static int rm_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		unlink(sub);
	}
	closedir(d);
	return rmdir(path) < 0 ? -errno : 0;
}

/* Remove every gen-N other than keep (leftovers of crashed or replaced
 * generations). Readers that still map an old one keep working: the files
 * live on until they unmap them. */
static void remove_other_gens(const char *dir, unsigned long keep)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long g;

		if (strncmp(de->d_name, GEN_PREFIX, strlen(GEN_PREFIX)))
			continue;
		g = strtoul(de->d_name + strlen(GEN_PREFIX), &end, 10);
		if (*end || g == keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rm_tree(path);
	}
	closedir(d);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int put_meta_u64(struct eir_writer *w, const char *key, uint64_t v)
{
	uint8_t b[8];
	MDB_val k = val_of(key, strlen(key)), d = val_of(b, 8);

	eir_u64_put(b, v);
	return lmdb_errno(mdb_put(w->txn, w->dbi.meta, &k, &d, 0));
}

static int put_meta_str(struct eir_writer *w, const char *key, const char *s)
{
	MDB_val k = val_of(key, strlen(key)), d = val_of(s, strlen(s));

	return lmdb_errno(mdb_put(w->txn, w->dbi.meta, &k, &d, 0));
}

static void load_reasons(struct eir_writer *w)
{
	char key[32], name[256];

	for (unsigned id = 1; id < REASONS; id++) {
		snprintf(key, sizeof(key), EIR_META_REASON_PREFIX "%u", id);
		meta_get_str(w->txn, w->dbi.meta, key, name, sizeof(name));
		if (name[0])
			w->reasons[id] = strdup(name);
	}
}

/* Who holds a lock we could not take: the pid its holder wrote into it. */
static void lock_holder(int fd, char *out, size_t outsz)
{
	char buf[32], path[64], comm[64] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	FILE *f;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(out, outsz, ", process %ld%s%s", pid, comm[0] ? " " : "", comm);
}

/* Write our pid into the lock we hold, for the next one that finds it
 * taken: a courtesy, so failing to is no error. */
static void lock_sign(int fd)
{
	char pid[24];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	ssize_t rc = ftruncate(fd, 0) == 0 ? pwrite(fd, pid, (size_t)n, 0) : -1;

	(void)rc;
}

static int lock_take(const char *dir, int *fdp, char *errbuf, size_t errsz)
{
	char path[PATH_MAX], who[128];
	int fd, rc;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		seterr(errbuf, errsz, "%s: %s", dir, strerror(errno));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/" WRITER_LOCK, dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		seterr(errbuf, errsz, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (rc == -EBUSY) {
			lock_holder(fd, who, sizeof(who));
			seterr(errbuf, errsz, "%s: another writer holds the database (%s%s)", dir, path, who);
		} else {
			seterr(errbuf, errsz, "%s: %s", path, strerror(-rc));
		}
		close(fd);
		return rc;
	}
	lock_sign(fd);
	*fdp = fd;
	return 0;
}

static void lock_release(int fd)
{
	int rc;

	if (fd < 0)
		return;
	rc = ftruncate(fd, 0);	/* a stale pid would be harmless: read only while locked */
	(void)rc;
	close(fd);	/* releases the flock */
}

int eir_store_lock(const char *dir, struct eir_lock **out, char *errbuf, size_t errsz)
{
	struct eir_lock *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	rc = lock_take(dir, &l->fd, errbuf, errsz);
	if (rc) {
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void eir_store_unlock(struct eir_lock *l)
{
	if (!l)
		return;
	lock_release(l->fd);
	free(l);
}

static void writer_free(struct eir_writer *w)
{
	for (unsigned i = 0; i < REASONS; i++)
		free(w->reasons[i]);
	lock_release(w->lock_fd);
	free(w->dir);
	free(w);
}

/* The history the new write extends: the one stored with the current
 * data, plus the current snapshot when the history predates it. */
static void history_load(struct eir_writer *w, MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val k = val_of(EIR_META_HISTORY, strlen(EIR_META_HISTORY)), d;
	struct eir_meta m;

	w->nhist = 0;
	if (!mdb_get(txn, dbi, &k, &d)) {
		const char *p = d.mv_data, *end = p + d.mv_size;

		while (w->nhist < EIR_HISTORY_MAX && history_next(&p, end, &w->hist[w->nhist]))
			w->nhist++;
	}
	if (read_meta(txn, dbi, &m) || (!m.kind[0] && !m.source[0]))
		return;
	for (size_t i = 0; i < w->nhist; i++) {
		if (w->hist[i].seq == m.seq)
			return;
	}
	if (w->nhist == EIR_HISTORY_MAX)
		memmove(w->hist, w->hist + 1, --w->nhist * sizeof(w->hist[0]));
	applied_of_meta(&m, &w->hist[w->nhist++]);
}

static void history_load_current(struct eir_writer *w)
{
	struct eir_store *s;

	if (eir_store_open(&s, w->dir, NULL, 0))
		return;		/* nothing readable in service: no history */
	if (!ensure_txn(s))
		history_load(w, s->txn, s->dbi.meta);
	eir_store_close(s);
}

static int writer_setup(struct eir_writer *w, char *errbuf, size_t errsz)
{
	unsigned long cur = 0;
	bool have_cur;
	int rc;

	if (!w->opts.lock) {
		rc = lock_take(w->dir, &w->lock_fd, errbuf, errsz);
		if (rc)
			return rc;
	}
	have_cur = current_gen(w->dir, &cur) == 0;
	/* We hold the lock: any generation that is not current is debris. */
	remove_other_gens(w->dir, have_cur ? cur : ULONG_MAX);

	if (w->opts.mode == EIR_WRITE_UPDATE && have_cur) {
		w->gen = cur;
	} else {
		w->gen = have_cur ? cur + 1 : 1;
		if (w->opts.mode == EIR_WRITE_UPDATE)
			w->opts.mode = EIR_WRITE_REPLACE;	/* first ever write */
		else if (have_cur)
			history_load_current(w);	/* a replacement carries it on */
	}
	snprintf(w->gen_path, sizeof(w->gen_path), "%s/" GEN_PREFIX "%lu", w->dir, w->gen);
	if (w->opts.mode == EIR_WRITE_REPLACE && mkdir(w->gen_path, 0755) < 0) {
		rc = -errno;
		seterr(errbuf, errsz, "%s: %s", w->gen_path, strerror(errno));
		return rc;
	}
	/* A new generation is invisible until published, so it may skip the
	 * per-commit fsync; it is synced once before the symlink swap. */
	rc = open_env(&w->env, w->gen_path,
		      w->opts.mode == EIR_WRITE_REPLACE ? MDB_NOSYNC : 0,
		      w->opts.map_size ? w->opts.map_size : DEFAULT_MAP);
	if (rc) {
		seterr(errbuf, errsz, "%s: cannot open: %s", w->gen_path, strerror(-rc));
		return rc;
	}
	rc = lmdb_errno(mdb_txn_begin(w->env, NULL, 0, &w->txn));
	if (!rc)
		rc = open_dbis(w->txn, &w->dbi, MDB_CREATE);
	if (!rc)
		rc = lmdb_errno(mdb_cursor_open(w->txn, w->dbi.pair, &w->pair_cur));
	if (!rc)
		rc = lmdb_errno(mdb_cursor_open(w->txn, w->dbi.imei, &w->imei_cur));
	if (rc) {
		seterr(errbuf, errsz, "%s: %s", w->gen_path, strerror(-rc));
		return rc;
	}
	if (w->opts.mode == EIR_WRITE_UPDATE) {
		rc = read_meta(w->txn, w->dbi.meta, &w->meta);
		if (!rc && w->meta.schema != EIR_SCHEMA_VERSION)
			rc = -EPROTO;
		if (rc) {
			seterr(errbuf, errsz, "%s: database schema version %llu, this build writes version %d",
			       w->gen_path, (unsigned long long)w->meta.schema, EIR_SCHEMA_VERSION);
			return rc;
		}
		load_reasons(w);
		history_load(w, w->txn, w->dbi.meta);
	}
	w->meta.schema = EIR_SCHEMA_VERSION;
	return 0;
}

static void writer_drop(struct eir_writer *w)
{
	if (w->imei_cur)
		mdb_cursor_close(w->imei_cur);
	w->imei_cur = NULL;
	if (w->pair_cur)
		mdb_cursor_close(w->pair_cur);
	if (w->txn)
		mdb_txn_abort(w->txn);
	if (w->env)
		mdb_env_close(w->env);
	w->pair_cur = NULL;
	w->txn = NULL;
	w->env = NULL;
	if (w->opts.mode == EIR_WRITE_REPLACE && w->gen_path[0])
		rm_tree(w->gen_path);
}

int eir_writer_open(struct eir_writer **out, const char *dir,
		    const struct eir_writer_opts *opts, char *errbuf, size_t errsz)
{
	struct eir_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->lock_fd = -1;
	if (opts)
		w->opts = *opts;
	w->dir = strdup(dir);
	if (!w->dir) {
		free(w);
		return -ENOMEM;
	}
	rc = writer_setup(w, errbuf, errsz);
	if (rc) {
		/* Do not remove a generation we did not create. */
		if (rc == -EBUSY || w->opts.mode == EIR_WRITE_UPDATE)
			w->gen_path[0] = '\0';
		writer_drop(w);
		writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

static void count_adjust(struct eir_writer *w, uint8_t status, int delta)
{
	if (status > EIR_STATUS_NONE && status < EIR_STATUS_COUNT)
		w->meta.count[status] += (uint64_t)(int64_t)delta;
}

/* Drop an IMEI's record and pairs from the counts and the pair sub-db;
 * the imei cursor is left on the record when there is one. Returns the old
 * record's presence (1/0) or an error. */
static int drop_old(struct eir_writer *w, MDB_val *k)
{
	struct eir_record old;
	MDB_val d;
	int rc = mdb_cursor_get(w->imei_cur, k, &d, MDB_SET_KEY);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_errno(rc);
	if (eir_record_decode(d.mv_data, d.mv_size, &old))
		return -EBADMSG;
	count_adjust(w, old.status, -1);
	if (old.flags & EIR_REC_HAS_PAIRS) {
		rc = mdb_del(w->txn, w->dbi.pair, k, NULL);
		if (rc && rc != MDB_NOTFOUND)
			return lmdb_errno(rc);
		w->meta.paired_imeis--;
	}
	return 1;
}

void eir_writer_put(struct eir_writer *w, uint64_t imei, const struct eir_record *rec,
		    const uint64_t *imsis, size_t n_imsis)
{
	uint8_t kb[8], vb[EIR_RECORD_MAX], pb[8];
	struct eir_record r = *rec;
	MDB_val k = val_of(kb, 8), d;
	unsigned flags = 0;
	int rc, n, existed = 0;

	if (w->err)
		return;
	if (imei > EIR_IMEI_MAX || r.status == EIR_STATUS_NONE || r.status >= EIR_STATUS_COUNT ||
	    n_imsis > EIR_MAX_PAIRS || ((r.flags & EIR_REC_LOCKED) && !n_imsis)) {
		werr(w, -EINVAL, "IMEI %014llu: invalid record (status, more than %d IMSIs, or locked without IMSIs)",
		     (unsigned long long)imei, EIR_MAX_PAIRS);
		return;
	}
	r.flags = (uint8_t)((r.flags & EIR_REC_LOCKED) | (n_imsis ? EIR_REC_HAS_PAIRS : 0));
	eir_u64_put(kb, imei);
	if (w->opts.sorted && w->opts.mode == EIR_WRITE_REPLACE) {
		flags = MDB_APPEND;
	} else {
		existed = drop_old(w, &k);
		if (existed < 0) {
			werr(w, existed, "IMEI %014llu: replace", (unsigned long long)imei);
			return;
		}
	}
	n = eir_record_encode(&r, vb);
	d = val_of(vb, (size_t)n);
	k = val_of(kb, 8);
	if (existed)
		rc = mdb_cursor_put(w->imei_cur, &k, &d, MDB_CURRENT);
	else
		rc = mdb_put(w->txn, w->dbi.imei, &k, &d, flags);
	if (rc) {
		werr(w, lmdb_errno(rc), "IMEI %014llu: store%s", (unsigned long long)imei,
		     rc == MDB_KEYEXIST ? " (keys out of order or duplicate)" : "");
		return;
	}
	count_adjust(w, r.status, +1);
	if (n_imsis)
		w->meta.paired_imeis++;
	for (size_t i = 0; i < n_imsis; i++) {
		MDB_val pk = val_of(kb, 8), pd = val_of(pb, 8);

		eir_u64_put(pb, imsis[i]);
		rc = mdb_cursor_put(w->pair_cur, &pk, &pd, MDB_NODUPDATA);
		if (rc && rc != MDB_KEYEXIST) {
			werr(w, lmdb_errno(rc), "IMEI %014llu: store pairs", (unsigned long long)imei);
			return;
		}
	}
}

void eir_writer_del(struct eir_writer *w, uint64_t imei)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8);
	int rc;

	if (w->err)
		return;
	eir_u64_put(kb, imei);
	rc = drop_old(w, &k);
	if (rc == 0)
		rc = -ENOENT;
	if (rc < 0) {
		werr(w, rc, rc == -ENOENT ? "IMEI %014llu: delete: not in the database" : "IMEI %014llu: delete",
		     (unsigned long long)imei);
		return;
	}
	rc = mdb_cursor_del(w->imei_cur, 0);	/* drop_old left it on the record */
	if (rc)
		werr(w, lmdb_errno(rc), "IMEI %014llu: delete", (unsigned long long)imei);
}

void eir_writer_put_range(struct eir_writer *w, uint64_t first, uint64_t last,
			  const struct eir_record *rec)
{
	uint8_t kb[8], vb[EIR_RANGE_VALUE_MAX];
	MDB_val k = val_of(kb, 8), d;
	struct eir_record r = *rec, nr;
	MDB_cursor *c;
	uint64_t a, b;
	int rc, n;

	if (w->err)
		return;
	r.flags = 0;	/* ranges carry no pairs */
	if (first > last || last > EIR_IMEI_MAX || r.status == EIR_STATUS_NONE ||
	    r.status >= EIR_STATUS_COUNT) {
		werr(w, -EINVAL, "range %014llu-%014llu: invalid",
		     (unsigned long long)first, (unsigned long long)last);
		return;
	}
	rc = mdb_cursor_open(w->txn, w->dbi.range, &c);
	if (rc) {
		werr(w, lmdb_errno(rc), "range cursor");
		return;
	}
	/* A rule with the same first is replaced. */
	eir_u64_put(kb, first);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET);
	if (rc == 0) {
		rc = mdb_cursor_del(c, 0);
		if (rc) {
			mdb_cursor_close(c);
			werr(w, lmdb_errno(rc), "range %014llu: replace", (unsigned long long)first);
			return;
		}
		w->meta.ranges--;
	}
	/* Neighbours: the next rule must start after last, the previous one
	 * must end before first. */
	k = val_of(kb, 8);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	if (!rc && !decode_range(&k, &d, &a, &b, &nr) && a <= last)
		rc = -EEXIST;
	else
		rc = mdb_cursor_get(c, &k, &d, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
	if (rc == 0 && !decode_range(&k, &d, &a, &b, &nr) && b >= first)
		rc = -EEXIST;
	mdb_cursor_close(c);
	if (rc == -EEXIST) {
		werr(w, rc, "range %014llu-%014llu overlaps %014llu-%014llu",
		     (unsigned long long)first, (unsigned long long)last,
		     (unsigned long long)a, (unsigned long long)b);
		return;
	}
	eir_u64_put(kb, first);
	k = val_of(kb, 8);
	eir_u64_put(vb, last);
	n = eir_record_encode(&r, vb + 8);
	d = val_of(vb, 8 + (size_t)n);
	rc = mdb_put(w->txn, w->dbi.range, &k, &d, 0);
	if (rc) {
		werr(w, lmdb_errno(rc), "range %014llu-%014llu: store",
		     (unsigned long long)first, (unsigned long long)last);
		return;
	}
	w->meta.ranges++;
}

void eir_writer_del_range(struct eir_writer *w, uint64_t first)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8);
	int rc;

	if (w->err)
		return;
	eir_u64_put(kb, first);
	rc = mdb_del(w->txn, w->dbi.range, &k, NULL);
	if (rc) {
		werr(w, lmdb_errno(rc), rc == MDB_NOTFOUND ? "range %014llu: delete: no range starts there"
							   : "range %014llu: delete", (unsigned long long)first);
		return;
	}
	w->meta.ranges--;
}

int eir_writer_get(struct eir_writer *w, uint64_t imei, struct eir_record *rec,
		   uint64_t *imsis, size_t *n_imsis)
{
	uint8_t kb[8];
	MDB_val k = val_of(kb, 8), d;
	int rc, n = 0;

	eir_u64_put(kb, imei);
	rc = mdb_get(w->txn, w->dbi.imei, &k, &d);
	if (rc)
		return lmdb_errno(rc);
	rc = eir_record_decode(d.mv_data, d.mv_size, rec);
	if (rc)
		return rc;
	if (rec->flags & EIR_REC_HAS_PAIRS) {
		n = cursor_pairs(w->pair_cur, imei, imsis, EIR_MAX_PAIRS);
		if (n < 0)
			return n;
	}
	*n_imsis = (size_t)n;
	return 0;
}

int eir_writer_walk(struct eir_writer *w, eir_imei_cb cb, void *ctx)
{
	if (w->err)
		return w->err;
	return walk_records(w->txn, w->dbi.imei, w->pair_cur, 0, EIR_IMEI_MAX, cb, ctx);
}

uint8_t eir_writer_reason(struct eir_writer *w, const char *name)
{
	unsigned free_id = 0;

	if (w->err || !name || !name[0])
		return 0;
	for (unsigned id = 1; id < REASONS; id++) {
		if (w->reasons[id] && !strcmp(w->reasons[id], name))
			return (uint8_t)id;
		if (!w->reasons[id] && !free_id)
			free_id = id;
	}
	if (!free_id) {
		werr(w, -ENOSPC, "reason '%s': dictionary full (%d reasons)", name, REASONS - 1);
		return 0;
	}
	w->reasons[free_id] = strdup(name);
	if (!w->reasons[free_id]) {
		werr(w, -ENOMEM, "reason '%s'", name);
		return 0;
	}
	w->reasons_dirty = true;
	return (uint8_t)free_id;
}

void eir_writer_set_meta(struct eir_writer *w, const struct eir_meta *m)
{
	memcpy(w->meta.kind, m->kind, sizeof(w->meta.kind));
	w->meta.kind[sizeof(w->meta.kind) - 1] = '\0';
	w->meta.seq = m->seq;
	memcpy(w->meta.source, m->source, sizeof(w->meta.source));
	w->meta.source[sizeof(w->meta.source) - 1] = '\0';
	w->meta.created = m->created;
	w->meta.imported = m->imported;
	w->meta_set = true;
}

void eir_writer_counts(const struct eir_writer *w, struct eir_meta *m)
{
	*m = w->meta;
}

int eir_writer_error(const struct eir_writer *w, const char **msg)
{
	if (msg)
		*msg = w->err ? w->errmsg : "";
	return w->err;
}

/* The history with this write's snapshot as the newest entry: whatever
 * was at or above its seq is no longer what the data derives from. */
static int write_history(struct eir_writer *w)
{
	size_t n = 0, len = 0, first;
	MDB_val k = val_of(EIR_META_HISTORY, strlen(EIR_META_HISTORY)), d;
	char *buf;
	int rc;

	for (size_t i = 0; i < w->nhist; i++) {
		if (w->hist[i].seq < w->meta.seq)
			w->hist[n++] = w->hist[i];
	}
	first = n == EIR_HISTORY_MAX ? 1 : 0;
	if (first)
		n--;	/* the oldest makes room */
	buf = malloc((n + 1) * HISTORY_LINE);
	if (!buf)
		return -ENOMEM;
	for (size_t i = first; i < first + n; i++) {
		const struct eir_applied *a = &w->hist[i];
		len += (size_t)snprintf(buf + len, HISTORY_LINE, "%llu %s %llu %s\n", (unsigned long long)a->seq,
					a->kind[0] ? a->kind : "-", (unsigned long long)a->created,
					a->source[0] ? a->source : "-");
	}
	len += (size_t)snprintf(buf + len, HISTORY_LINE, "%llu %s %llu %s\n", (unsigned long long)w->meta.seq,
				w->meta.kind[0] ? w->meta.kind : "-", (unsigned long long)w->meta.created,
				w->meta.source[0] ? w->meta.source : "-");
	d = val_of(buf, len);
	rc = lmdb_errno(mdb_put(w->txn, w->dbi.meta, &k, &d, 0));
	free(buf);
	return rc;
}

static int write_meta(struct eir_writer *w)
{
	char key[64];
	int rc;

	if (!w->meta.imported)
		w->meta.imported = (uint64_t)time(NULL);
	rc = put_meta_u64(w, EIR_META_SCHEMA, EIR_SCHEMA_VERSION);
	if (!rc && w->meta_set) {
		rc = put_meta_str(w, EIR_META_KIND, w->meta.kind);
		if (!rc)
			rc = put_meta_u64(w, EIR_META_SEQ, w->meta.seq);
		if (!rc)
			rc = put_meta_str(w, EIR_META_SOURCE, w->meta.source);
		if (!rc)
			rc = put_meta_u64(w, EIR_META_CREATED, w->meta.created);
	}
	if (!rc)
		rc = put_meta_u64(w, EIR_META_IMPORTED, w->meta.imported);
	for (int st = EIR_STATUS_ACTIVE; !rc && st < EIR_STATUS_COUNT; st++) {
		snprintf(key, sizeof(key), EIR_META_COUNT_PREFIX "%s", eir_status_name(st));
		rc = put_meta_u64(w, key, w->meta.count[st]);
	}
	if (!rc)
		rc = put_meta_u64(w, EIR_META_COUNT_PREFIX "range", w->meta.ranges);
	if (!rc)
		rc = put_meta_u64(w, EIR_META_COUNT_PREFIX "paired", w->meta.paired_imeis);
	for (unsigned id = 1; !rc && id < REASONS && w->reasons_dirty; id++) {
		if (!w->reasons[id])
			continue;
		snprintf(key, sizeof(key), EIR_META_REASON_PREFIX "%u", id);
		rc = put_meta_str(w, key, w->reasons[id]);
	}
	if (!rc && w->meta_set)
		rc = write_history(w);
	return rc;
}

/* Point DIR/current at gen-N atomically: symlink beside it, rename over. */
static int publish(struct eir_writer *w)
{
	char tmp[PATH_MAX], link[PATH_MAX], target[64];
	int rc;

	snprintf(target, sizeof(target), GEN_PREFIX "%lu", w->gen);
	snprintf(tmp, sizeof(tmp), "%s/" CURRENT_LINK ".tmp", w->dir);
	snprintf(link, sizeof(link), "%s/" CURRENT_LINK, w->dir);
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	/* Published: a failing directory fsync now only risks durability of
	 * the switch, never consistency, so it must not undo the generation. */
	fsync_dir(w->dir);
	return 0;
}

int eir_writer_commit(struct eir_writer *w, char *errbuf, size_t errsz)
{
	int rc = w->err;

	if (rc) {
		seterr(errbuf, errsz, "%s", w->errmsg);
		eir_writer_abort(w);
		return rc;
	}
	rc = write_meta(w);
	if (rc) {
		seterr(errbuf, errsz, "%s: writing meta: %s", w->gen_path, strerror(-rc));
		eir_writer_abort(w);
		return rc;
	}
	mdb_cursor_close(w->pair_cur);
	w->pair_cur = NULL;
	mdb_cursor_close(w->imei_cur);
	w->imei_cur = NULL;
	rc = write_errno(lmdb_errno(mdb_txn_commit(w->txn)), w->gen_path);
	w->txn = NULL;
	if (rc) {
		seterr(errbuf, errsz, "%s: commit: %s", w->gen_path, strerror(-rc));
		eir_writer_abort(w);
		return rc;
	}
	if (w->opts.mode == EIR_WRITE_REPLACE) {
		rc = write_errno(lmdb_errno(mdb_env_sync(w->env, 1)), w->gen_path);
		if (!rc)
			rc = fsync_dir(w->gen_path);
		if (!rc)
			rc = publish(w);
		if (rc) {
			seterr(errbuf, errsz, "%s: publish: %s", w->gen_path, strerror(-rc));
			eir_writer_abort(w);
			return rc;
		}
		mdb_env_close(w->env);
		w->env = NULL;
		remove_other_gens(w->dir, w->gen);
	} else {
		mdb_env_close(w->env);
		w->env = NULL;
	}
	writer_free(w);
	return 0;
}

void eir_writer_abort(struct eir_writer *w)
{
	if (!w)
		return;
	writer_drop(w);
	writer_free(w);
}
