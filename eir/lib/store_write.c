/* The writer (store.h): the writer lock, an update in place or a new
 * generation, the sticky error, meta and history, commit and publish. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "imei.h"
#include "store_priv.h"

#define WRITER_LOCK    "writer.lock"
#define DEFAULT_MAP    (64ULL << 30)
#define REASONS        256
/* Free space below which a short write means a full file system. */
#define FULL_FS_SLACK  (1ULL << 20)

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
	MDB_cursor *fs_cur;	/* first_seen, opened by the first eir_writer_first_seen_min() */
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

/* Copy the first sightings of the generation in service into the new
 * one: they are not registry data, and a full import must not reset
 * anyone's grace period. Keys arrive in order, so they are appended.
 * Entries that are not well formed (eir_store_verify reports them) are
 * not copied; the count is what was. */
static int carry_first_seen(struct eir_writer *w, struct eir_store *s)
{
	struct eir_meta m;
	MDB_cursor *c;
	MDB_val k, d;
	uint64_t n = 0, imei;
	uint32_t t;
	int rc, mrc;

	rc = eir_store_get_meta(s, &m);
	if (rc)
		return rc;
	w->meta.first_seen_imported = m.first_seen_imported;
	memcpy(w->meta.first_seen_source, m.first_seen_source, sizeof(w->meta.first_seen_source));
	if (!s->dbi.have_first_seen)
		return 0;	/* a database from before first sightings */
	mrc = mdb_cursor_open(s->txn, s->dbi.first_seen, &c);
	if (mrc)
		return lmdb_errno(mrc);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !mrc; mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (decode_first_seen(&k, &d, &imei, &t))
			continue;
		rc = lmdb_errno(mdb_put(w->txn, w->dbi.first_seen, &k, &d, MDB_APPEND));
		if (rc)
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (!rc && mrc != MDB_NOTFOUND)
		rc = lmdb_errno(mrc);
	w->meta.first_seen = n;
	return rc;
}

/* What a replacement takes over from the generation in service: the
 * history of applied snapshots and the first sightings. A generation that
 * cannot be opened (another schema, damaged) has nothing to give: the
 * replacement is then how the operator recovers, and starts afresh. One
 * that opens but fails while it is read fails the replacement. */
static int carry_current(struct eir_writer *w, char *errbuf, size_t errsz)
{
	struct eir_store *s;
	int rc;

	if (eir_store_open(&s, w->dir, NULL, 0))
		return 0;
	rc = ensure_txn(s);
	if (!rc) {
		history_load(w, s->txn, s->dbi.meta);
		rc = carry_first_seen(w, s);
	}
	if (rc)
		seterr(errbuf, errsz, "%s: carrying the first sightings over from %s: %s",
		       w->gen_path, eir_store_path(s), strerror(-write_errno(rc, w->gen_path)));
	eir_store_close(s);
	return rc ? write_errno(rc, w->gen_path) : 0;
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
	/* Under the writer lock: no first-seen import can slip in between
	 * this copy and the publication of the new generation. */
	if (w->opts.mode == EIR_WRITE_REPLACE && have_cur) {
		rc = carry_current(w, errbuf, errsz);
		if (rc)
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
	if (w->fs_cur)
		mdb_cursor_close(w->fs_cur);
	w->fs_cur = NULL;
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

int eir_writer_first_seen_min(struct eir_writer *w, uint64_t imei, uint32_t t)
{
	uint8_t kb[8], vb[4];
	MDB_val k = val_of(kb, 8), d;
	uint64_t key;
	uint32_t old;
	bool existed;
	int rc;

	if (w->err)
		return w->err;
	if (imei > EIR_IMEI_MAX || !t) {
		werr(w, -EINVAL, "IMEI %014llu: invalid first sighting (time %u)", (unsigned long long)imei, t);
		return w->err;
	}
	if (!w->fs_cur) {
		rc = lmdb_errno(mdb_cursor_open(w->txn, w->dbi.first_seen, &w->fs_cur));
		if (rc) {
			werr(w, rc, "first_seen cursor");
			return w->err;
		}
	}
	eir_u64_put(kb, imei);
	u32_put(vb, t);
	rc = mdb_cursor_get(w->fs_cur, &k, &d, MDB_SET_KEY);
	if (rc && rc != MDB_NOTFOUND) {
		werr(w, lmdb_errno(rc), "IMEI %014llu: first sighting", (unsigned long long)imei);
		return w->err;
	}
	existed = rc == 0;
	/* A corrupt stored value is replaced, whatever it said. */
	if (existed && !decode_first_seen(&k, &d, &key, &old) && old <= t)
		return EIR_FS_KEPT;
	k = val_of(kb, 8);
	d = val_of(vb, 4);
	if (existed)
		rc = mdb_cursor_put(w->fs_cur, &k, &d, MDB_CURRENT);
	else
		rc = mdb_put(w->txn, w->dbi.first_seen, &k, &d, 0);
	if (rc) {
		werr(w, lmdb_errno(rc), "IMEI %014llu: store the first sighting", (unsigned long long)imei);
		return w->err;
	}
	if (existed)
		return EIR_FS_EARLIER;
	w->meta.first_seen++;
	return EIR_FS_NEW;
}

void eir_writer_set_first_seen_import(struct eir_writer *w, const char *source, uint64_t imported)
{
	snprintf(w->meta.first_seen_source, sizeof(w->meta.first_seen_source), "%s", source ? source : "");
	w->meta.first_seen_imported = imported ? imported : (uint64_t)time(NULL);
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
	if (!rc)
		rc = put_meta_u64(w, EIR_META_COUNT_PREFIX "first_seen", w->meta.first_seen);
	if (!rc && w->meta.first_seen_imported) {
		rc = put_meta_u64(w, EIR_META_FS_IMPORTED, w->meta.first_seen_imported);
		if (!rc)
			rc = put_meta_str(w, EIR_META_FS_SOURCE, w->meta.first_seen_source);
	}
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
	if (w->fs_cur)
		mdb_cursor_close(w->fs_cur);
	w->fs_cur = NULL;
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
			rc = publish(w->dir, w->gen);
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
