/* Applying one snapshot file (import.h). A full snapshot is parsed into
 * compact arrays, sorted if it was not, checked for duplicates and
 * overlaps, then bulk-loaded into a new generation; a delta is parsed,
 * checked, sorted by key and applied in one update transaction. A
 * first-seen file is parsed, sorted and merged into the first sightings of
 * the generation in service in one update transaction. Nothing is written
 * until the whole file has been read and found sound. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirbs.h"
#include "firstseen.h"
#include "imei.h"
#include "import.h"
#include "input.h"
#include "progress.h"
#include "reasons.h"
#include "record.h"
#include "snapshot.h"
#include "store.h"
#include "timefmt.h"

/* One exact IMEI of a full snapshot: 16 bytes, so 10^8 rows fit in 1.6 GB. */
struct frow {
	uint64_t key;
	uint32_t until;
	uint8_t status, flags, reason, paired;
};
_Static_assert(sizeof(struct frow) == 16, "full rows stay small");

struct fpair {
	uint64_t key;
	uint64_t imsi[EIR_MAX_PAIRS];
	uint8_t n;
};

/* A range rule (full or delta) or a delta row: 32 bytes. The IMSIs of
 * the few rows that have them are kept aside (struct fpair). */
struct xrow {
	uint64_t first, last;
	uint32_t until, line;
	uint8_t op, status, flags, reason, is_range, n;
};
_Static_assert(sizeof(struct xrow) == 32, "delta rows stay small");

struct vec {
	void *p;
	size_t n, cap, size;
	size_t limit;	/* never more elements than this (0: no limit) */
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		if (v->limit && cap > v->limit)
			cap = v->limit > v->n ? v->limit : v->n + 1;
		void *np = realloc(v->p, cap * v->size);
		if (!np)
			return NULL;
		v->p = np, v->cap = cap;
	}
	return (char *)v->p + v->size * v->n++;
}

struct ctx {
	const char *dir, *path;
	const struct import_opts *o;
	struct import_result *res;
	struct snap_input *in;
	struct eir_snap_parser p;
	struct reasons reasons;
	struct progress prog;
	unsigned long lineno;
	enum dirbs_kind dirbs;	/* the first line announced a DIRBS list */
	unsigned dirbs_cols;
	bool firstseen;		/* the first line announced a first-seen file */
	struct firstseen_parser fs;
};

static enum import_status refuse(struct ctx *c, enum import_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum import_status refuse(struct ctx *c, enum import_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->res->msg, sizeof(c->res->msg), fmt, ap);
	va_end(ap);
	return st;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read the header and column lines. */
static enum import_status read_header(struct ctx *c)
{
	struct eir_snap_row row;
	char err[256];
	const char *line;

	for (int i = 0; i < 2; i++) {
		ssize_t n = snap_input_line(c->in, &line);
		if (n == -2)
			return refuse(c, IMPORT_REFUSED, "%s: %s", c->path, snap_input_error(c->in));
		if (n < 0)
			return refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno,
				      i ? "no column line" : "empty file: no header");
		c->lineno++;
		if (i == 0 && firstseen_detect(line, (size_t)n)) {
			c->firstseen = true;	/* not native: the caller hands it over */
			firstseen_init(&c->fs, (uint64_t)time(NULL));
			firstseen_parse_line(&c->fs, line, (size_t)n, NULL, NULL, 0);
			return IMPORT_REFUSED;
		}
		if (i == 0 && (c->dirbs = dirbs_detect(line, (size_t)n, &c->dirbs_cols)) != DIRBS_NONE)
			return IMPORT_REFUSED;	/* not native: the caller hands it over */
		if (eir_snap_parse_line(&c->p, line, (size_t)n, &row, err, sizeof(err)) < 0)
			return refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno, err);
	}
	c->res->seq = c->p.hdr.seq;
	c->res->base = c->p.hdr.base;
	c->res->delta = c->p.hdr.kind == EIR_SNAP_DELTA;
	return IMPORT_APPLIED;
}

/* Next data row: 1 with *row, 0 at the (verified) end, or a refusal. Bad
 * rows are reported and skipped while --max-errors allows. */
static int next_row(struct ctx *c, struct eir_snap_row *row, enum import_status *st)
{
	char err[256];
	const char *line;

	for (;;) {
		ssize_t n = snap_input_line(c->in, &line);
		if (n == -2) {
			*st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno + 1,
				     snap_input_error(c->in));
			return -1;
		}
		if (n == -1) {
			if (eir_snap_finish(&c->p, err, sizeof(err))) {
				*st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno, err);
				return -1;
			}
			return 0;
		}
		c->lineno++;
		int rc = eir_snap_parse_line(&c->p, line, (size_t)n, row, err, sizeof(err));
		if (rc == EIR_SNAP_LINE_ROW && c->o->max_rows && c->p.rows > c->o->max_rows) {
			*st = refuse(c, IMPORT_REFUSED, "%s:%lu: more than %llu rows (--max-rows %llu)", c->path,
				     c->lineno, (unsigned long long)c->o->max_rows,
				     (unsigned long long)c->o->max_rows);
			return -1;
		}
		if (rc == EIR_SNAP_LINE_ROW) {
			if ((c->p.rows & 0xffff) == 0)
				progress_update(&c->prog, c->p.rows, snap_input_pos(c->in));
			return 1;
		}
		if (rc >= 0)
			continue;
		/* A row error counts as a row for the trailer. */
		if (eir_snap_in_rows(&c->p) && c->res->skipped < c->o->max_errors &&
		    strncmp(line, "#", 1)) {
			c->res->skipped++;
			eir_snap_skip_row(&c->p);
			progress_clear(&c->prog);
			fprintf(stderr, "eir-sync: %s:%lu: %s (row skipped, %llu of at most %lu)\n",
				c->path, c->lineno, err, (unsigned long long)c->res->skipped,
				c->o->max_errors);
			continue;
		}
		*st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno, err);
		return -1;
	}
}

static int fill_reason(struct ctx *c, const struct eir_snap_row *row, uint8_t *id,
		       enum import_status *st)
{
	int r = reasons_id(&c->reasons, row->reason);

	if (r < 0) {
		*st = refuse(c, IMPORT_REFUSED, "%s:%lu: more than 255 distinct reasons", c->path, c->lineno);
		return -1;
	}
	*id = (uint8_t)r;
	return 0;
}

static int cmp_frow(const void *a, const void *b)
{
	uint64_t x = ((const struct frow *)a)->key, y = ((const struct frow *)b)->key;
	return (x > y) - (x < y);
}

static int cmp_fpair(const void *a, const void *b)
{
	uint64_t x = ((const struct fpair *)a)->key, y = ((const struct fpair *)b)->key;
	return (x > y) - (x < y);
}

static int cmp_xrow(const void *a, const void *b)
{
	const struct xrow *x = a, *y = b;
	if (x->is_range != y->is_range)
		return x->is_range - y->is_range;
	return (x->first > y->first) - (x->first < y->first);
}

/* Application order of a delta: IMEIs by key, then range deletions before
 * range additions, so that a delta moving a range does not collide with
 * the rule it removes. */
static int cmp_apply(const void *a, const void *b)
{
	const struct xrow *x = a, *y = b;
	if (x->is_range != y->is_range)
		return x->is_range - y->is_range;
	if (x->is_range && (x->op == EIR_SNAP_DEL) != (y->op == EIR_SNAP_DEL))
		return x->op == EIR_SNAP_DEL ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

/* After the fact, the two lines that carry a duplicate IMEI (a second pass
 * over the file, only on this error path). */
static void find_dup_lines(const char *path, uint64_t max_bytes, uint64_t key, unsigned long lines[2])
{
	struct snap_input *in;
	struct eir_snap_parser p;
	struct eir_snap_row row;
	const char *line;
	char err[256];
	unsigned long ln = 0;
	int found = 0;
	ssize_t n;

	lines[0] = lines[1] = 0;
	if (!strcmp(path, "-") || snap_input_open(&in, path, err, sizeof(err)))
		return;
	snap_input_limit(in, max_bytes);
	eir_snap_init(&p);
	while (found < 2 && (n = snap_input_line(in, &line)) >= 0) {
		ln++;
		if (eir_snap_parse_line(&p, line, (size_t)n, &row, err, sizeof(err)) == EIR_SNAP_LINE_ROW &&
		    !row.is_range && row.first == key)
			lines[found++] = ln;
	}
	snap_input_close(in);
}

/* What the guards decide on, read while the caller holds the writer lock:
 * the database's meta, and what it applied as this file's seq. */
struct dbstate {
	bool have;		/* there is a database */
	struct eir_meta m;
	bool applied;		/* a holds the snapshot applied as the file's seq */
	struct eir_applied a;
};

static int read_state(struct ctx *c, struct dbstate *d)
{
	struct eir_store *s;
	int rc = eir_store_open(&s, c->dir, NULL, 0);

	memset(d, 0, sizeof(*d));
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	rc = eir_store_get_meta(s, &d->m);
	if (!rc) {
		d->have = true;
		d->applied = eir_store_find_applied(s, c->p.hdr.seq, &d->a) == 0;
	}
	eir_store_close(s);
	return rc;
}

/* The file is the snapshot the database applied as its seq: same source
 * and, when both say, the same creation time. */
static bool same_snapshot(const struct eir_applied *a, const struct eir_snap_header *h)
{
	return !strcmp(a->source, h->source) && (!a->created || !h->created || a->created == h->created);
}

static const char *when(uint64_t t, char *buf, size_t sz)
{
	return t ? eir_time_format(t, buf, sz) : "-";
}

/* The seq guards of native snapshots: IMPORT_APPLIED to go on. A file the
 * database already has is a no-op; a delta must start at the database's
 * seq; an older full that differs needs --force. */
static enum import_status seq_guard(struct ctx *c, const struct dbstate *d)
{
	const struct eir_snap_header *h = &c->p.hdr;
	bool delta = h->kind == EIR_SNAP_DELTA, noforce = delta || !c->o->force;
	unsigned long long seq = h->seq, cur = d->have ? d->m.seq : 0;
	char t1[32], t2[32];

	if (d->have && seq == cur && noforce)
		return refuse(c, IMPORT_NOTHING, "database already at seq %llu", cur);
	if (d->have && seq < cur && d->applied && same_snapshot(&d->a, h) && noforce)
		return refuse(c, IMPORT_NOTHING, "%s: seq %llu was applied already (source %s); the database is at seq %llu",
			      c->path, seq, h->source, cur);
	if (delta && h->base != cur)
		return refuse(c, IMPORT_REFUSED,
			      "%s: delta applies to seq %llu but the database is at seq %llu: expected a delta with base=%llu",
			      c->path, (unsigned long long)h->base, cur, cur);
	if (!delta && d->have && seq < cur && !c->o->force) {
		if (d->applied)
			return refuse(c, IMPORT_REFUSED,
				      "%s: snapshot seq %llu is older than the database's seq %llu and not the one applied "
				      "as seq %llu (source %s created %s; this file: source %s created %s); "
				      "use --force to go back",
				      c->path, seq, cur, seq, d->a.source[0] ? d->a.source : "-",
				      when(d->a.created, t1, sizeof(t1)), h->source, when(h->created, t2, sizeof(t2)));
		return refuse(c, IMPORT_REFUSED,
			      "%s: snapshot seq %llu is older than the database's seq %llu (use --force to go back)",
			      c->path, seq, cur);
	}
	return IMPORT_APPLIED;
}

static uint64_t meta_total(const struct eir_meta *m)
{
	uint64_t t = m->ranges;
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
		t += m->count[st];
	return t;
}

static void set_meta(struct ctx *c, struct eir_writer *w)
{
	struct eir_meta m;

	memset(&m, 0, sizeof(m));
	snprintf(m.kind, sizeof(m.kind), "%s", c->res->delta ? "delta" : "full");
	m.seq = c->p.hdr.seq;
	snprintf(m.source, sizeof(m.source), "%s", c->p.hdr.source);
	m.created = c->p.hdr.created;
	m.imported = (uint64_t)time(NULL);
	eir_writer_set_meta(w, &m);
}

static enum import_status writer_status(struct ctx *c, int rc, const char *msg, unsigned long line)
{
	/* What the data asked for and the database refused is the input's fault. */
	bool input = rc == -ENOENT || rc == -EEXIST || rc == -EINVAL;

	if (line)
		return refuse(c, input ? IMPORT_REFUSED : IMPORT_FAILED, "%s:%lu: %s", c->path, line, msg);
	return refuse(c, input ? IMPORT_REFUSED : IMPORT_FAILED, "%s: %s", c->dir, msg);
}

static enum import_status import_full(struct ctx *c)
{
	struct vec rows = { .size = sizeof(struct frow) }, pairs = { .size = sizeof(struct fpair) },
		   ranges = { .size = sizeof(struct xrow) };
	struct eir_snap_row row;
	enum import_status st = IMPORT_APPLIED;
	bool rows_sorted = true, pairs_sorted = true;
	uint64_t prev_key = 0, prev_pair = 0;
	struct eir_writer *w = NULL;
	struct dbstate db;
	int r, mrc;

	rows.limit = ranges.limit = pairs.limit = c->o->max_rows;
	mrc = read_state(c, &db);
	if (mrc) {
		st = refuse(c, IMPORT_FAILED, "%s: cannot read the database: %s", c->dir, strerror(-mrc));
		goto out;
	}
	st = seq_guard(c, &db);
	if (st != IMPORT_APPLIED)
		goto out;

	double t0 = now_s();
	while ((r = next_row(c, &row, &st)) == 1) {
		uint8_t reason;
		if (fill_reason(c, &row, &reason, &st)) {
			r = -1;
			break;
		}
		if (row.is_range) {
			struct xrow *x = vec_push(&ranges);
			if (!x)
				goto oom;
			*x = (struct xrow){ .first = row.first, .last = row.last, .until = row.rec.valid_until,
					    .line = (uint32_t)c->lineno, .status = row.rec.status,
					    .reason = reason, .is_range = 1 };
			continue;
		}
		struct frow *f = vec_push(&rows);
		if (!f)
			goto oom;
		*f = (struct frow){ .key = row.first, .until = row.rec.valid_until,
				    .status = row.rec.status, .flags = row.rec.flags,
				    .reason = reason, .paired = row.n_imsis > 0 };
		if (rows.n > 1 && row.first <= prev_key)
			rows_sorted = false;
		prev_key = row.first;
		if (row.n_imsis) {
			struct fpair *fp = vec_push(&pairs);
			if (!fp)
				goto oom;
			fp->key = row.first;
			fp->n = (uint8_t)row.n_imsis;
			memcpy(fp->imsi, row.imsis, row.n_imsis * sizeof(uint64_t));
			if (pairs.n > 1 && row.first <= prev_pair)
				pairs_sorted = false;
			prev_pair = row.first;
		}
	}
	if (r < 0)
		goto out;
	progress_done(&c->prog, c->p.rows);

	/* Order, duplicates, overlaps. */
	if (!rows_sorted)
		qsort(rows.p, rows.n, rows.size, cmp_frow);
	if (!pairs_sorted)
		qsort(pairs.p, pairs.n, pairs.size, cmp_fpair);
	if (ranges.n > 1)
		qsort(ranges.p, ranges.n, ranges.size, cmp_xrow);
	struct frow *fr = rows.p;
	for (size_t i = 1; i < rows.n; i++) {
		if (fr[i].key == fr[i - 1].key) {
			unsigned long lines[2];
			find_dup_lines(c->path, c->o->max_bytes, fr[i].key, lines);
			if (lines[1])
				st = refuse(c, IMPORT_REFUSED, "%s:%lu: duplicate IMEI %014llu (first at line %lu)",
					    c->path, lines[1], (unsigned long long)fr[i].key, lines[0]);
			else	/* standard input cannot be read twice */
				st = refuse(c, IMPORT_REFUSED, "%s: duplicate IMEI %014llu",
					    c->path, (unsigned long long)fr[i].key);
			goto out;
		}
	}
	struct xrow *xr = ranges.p;
	for (size_t i = 1; i < ranges.n; i++) {
		if (xr[i].first <= xr[i - 1].last) {
			st = refuse(c, IMPORT_REFUSED, "%s:%u: range %014llu-%014llu overlaps line %u (%014llu-%014llu)",
				    c->path, xr[i].line, (unsigned long long)xr[i].first,
				    (unsigned long long)xr[i].last, xr[i - 1].line,
				    (unsigned long long)xr[i - 1].first, (unsigned long long)xr[i - 1].last);
			goto out;
		}
	}

	/* The shrink guard: a registry feed that suddenly lost data is more
	 * likely broken than right. */
	uint64_t old_total = db.have ? meta_total(&db.m) : 0, new_total = rows.n + ranges.n;
	if (old_total && new_total < old_total &&
	    (double)(old_total - new_total) > c->o->max_shrink * (double)old_total && !c->o->force) {
		st = refuse(c, IMPORT_REFUSED,
			    "%s: full snapshot has %llu records, the database %llu: it would shrink by %.1f%% "
			    "(more than --max-shrink %g%%); use --force if that is right",
			    c->path, (unsigned long long)new_total, (unsigned long long)old_total,
			    100.0 * (double)(old_total - new_total) / (double)old_total, 100.0 * c->o->max_shrink);
		goto out;
	}
	c->res->parse_s = now_s() - t0;

	/* Bulk load into a new generation, published at commit. */
	t0 = now_s();
	struct eir_writer_opts wo = { .mode = EIR_WRITE_REPLACE, .sorted = true, .lock = c->o->lock };
	char err[512];
	int rc = eir_writer_open(&w, c->dir, &wo, err, sizeof(err));
	if (rc) {
		st = refuse(c, IMPORT_FAILED, "%s", err);
		goto out;
	}
	for (unsigned i = 1; i <= c->reasons.count; i++)
		eir_writer_reason(w, c->reasons.name[i]);	/* same ids, same order */
	struct fpair *fp = pairs.p;
	size_t pi = 0;
	progress_phase(&c->prog, "writing", rows.n);
	for (size_t i = 0; i < rows.n; i++) {
		if ((i & 0xffff) == 0)
			progress_update(&c->prog, i, 0);
		struct eir_record rec = { .status = fr[i].status, .flags = fr[i].flags,
					  .reason = fr[i].reason, .valid_until = fr[i].until };
		if (fr[i].paired) {
			while (pi < pairs.n && fp[pi].key < fr[i].key)
				pi++;
			if (pi == pairs.n || fp[pi].key != fr[i].key) {
				eir_writer_abort(w);
				st = refuse(c, IMPORT_FAILED, "internal error: IMSIs of %014llu lost",
					    (unsigned long long)fr[i].key);
				goto out;
			}
			eir_writer_put(w, fr[i].key, &rec, fp[pi].imsi, fp[pi].n);
		} else {
			eir_writer_put(w, fr[i].key, &rec, NULL, 0);
		}
	}
	for (size_t i = 0; i < ranges.n; i++)
		eir_writer_put_range(w, xr[i].first, xr[i].last, &(struct eir_record){
			.status = xr[i].status, .reason = xr[i].reason, .valid_until = xr[i].until });
	set_meta(c, w);
	const char *wmsg;
	rc = eir_writer_error(w, &wmsg);
	if (rc) {
		st = writer_status(c, rc, wmsg, 0);
		eir_writer_abort(w);
		goto out;
	}
	progress_phase(&c->prog, "committing", 1);
	progress_update(&c->prog, 0, 0);
	rc = eir_writer_commit(w, err, sizeof(err));
	if (rc) {
		st = refuse(c, IMPORT_FAILED, "%s", err);
		goto out;
	}
	c->res->write_s = now_s() - t0;
	c->res->rows = rows.n + ranges.n;
	goto out;
oom:
	st = refuse(c, IMPORT_FAILED, "%s:%lu: out of memory", c->path, c->lineno);
out:
	free(rows.p);
	free(pairs.p);
	free(ranges.p);
	return st;
}

static enum import_status import_delta(struct ctx *c)
{
	struct vec rows = { .size = sizeof(struct xrow) }, pairs = { .size = sizeof(struct fpair) };
	struct eir_snap_row row;
	enum import_status st = IMPORT_APPLIED;
	struct eir_writer *w = NULL;
	struct dbstate db;
	bool pairs_sorted = true;
	int r, mrc;

	rows.limit = pairs.limit = c->o->max_rows;
	mrc = read_state(c, &db);
	if (mrc)
		return refuse(c, IMPORT_FAILED, "%s: cannot read the database: %s", c->dir, strerror(-mrc));
	st = seq_guard(c, &db);
	if (st != IMPORT_APPLIED)
		return st;

	double t0 = now_s();
	while ((r = next_row(c, &row, &st)) == 1) {
		struct xrow *x = vec_push(&rows);
		if (!x)
			goto oom;
		*x = (struct xrow){ .first = row.first, .last = row.last, .until = row.rec.valid_until,
				    .line = (uint32_t)c->lineno, .op = (uint8_t)row.op,
				    .status = row.rec.status, .flags = row.rec.flags,
				    .is_range = row.is_range, .n = row.is_range ? 0 : (uint8_t)row.n_imsis };
		if (fill_reason(c, &row, &x->reason, &st)) {
			r = -1;
			break;
		}
		if (x->n) {
			struct fpair *fp = vec_push(&pairs);
			if (!fp)
				goto oom;
			if (pairs.n > 1 && row.first <= ((struct fpair *)pairs.p)[pairs.n - 2].key)
				pairs_sorted = false;
			fp->key = row.first;
			fp->n = x->n;
			memcpy(fp->imsi, row.imsis, row.n_imsis * sizeof(uint64_t));
		}
	}
	if (r < 0)
		goto out;
	progress_done(&c->prog, c->p.rows);

	/* Sorted by key for locality in the B-tree; a key twice is ambiguous. */
	struct xrow *xr = rows.p;
	if (rows.n > 1)
		qsort(xr, rows.n, rows.size, cmp_xrow);
	for (size_t i = 1; i < rows.n; i++) {
		if (xr[i].is_range == xr[i - 1].is_range && xr[i].first == xr[i - 1].first) {
			unsigned long a = xr[i - 1].line, b = xr[i].line;
			st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s %014llu appears twice in this delta (also line %lu)",
				    c->path, a > b ? a : b, xr[i].is_range ? "range" : "IMEI",
				    (unsigned long long)xr[i].first, a > b ? b : a);
			goto out;
		}
	}
	if (rows.n > 1)
		qsort(xr, rows.n, rows.size, cmp_apply);
	/* IMEIs are unique now, so their IMSIs follow them in key order. */
	if (!pairs_sorted)
		qsort(pairs.p, pairs.n, pairs.size, cmp_fpair);
	c->res->parse_s = now_s() - t0;

	t0 = now_s();
	struct eir_writer_opts wo = { .mode = EIR_WRITE_UPDATE, .lock = c->o->lock };
	char err[512];
	int rc = eir_writer_open(&w, c->dir, &wo, err, sizeof(err));
	if (rc) {
		st = refuse(c, IMPORT_FAILED, "%s", err);
		goto out;
	}
	/* Map the file's reason ids to the database's dictionary. */
	uint8_t map[256] = { 0 };
	for (unsigned i = 1; i <= c->reasons.count; i++)
		map[i] = eir_writer_reason(w, c->reasons.name[i]);
	struct fpair *fp = pairs.p;
	size_t pi = 0;
	progress_phase(&c->prog, "applying", rows.n);
	for (size_t i = 0; i < rows.n; i++) {
		struct xrow *x = &xr[i];
		if ((i & 0x3fff) == 0)
			progress_update(&c->prog, i, 0);
		struct eir_record rec = { .status = x->status, .flags = x->flags,
					  .reason = map[x->reason], .valid_until = x->until };
		const char *wmsg;

		if (x->is_range && x->op == EIR_SNAP_DEL) {
			eir_writer_del_range(w, x->first);
		} else if (x->is_range) {
			eir_writer_put_range(w, x->first, x->last, &rec);
		} else if (x->op == EIR_SNAP_DEL) {
			eir_writer_del(w, x->first);
		} else if (x->n) {
			while (pi < pairs.n && fp[pi].key < x->first)
				pi++;
			if (pi == pairs.n || fp[pi].key != x->first) {
				eir_writer_abort(w);
				st = refuse(c, IMPORT_FAILED, "internal error: IMSIs of %014llu lost",
					    (unsigned long long)x->first);
				goto out;
			}
			eir_writer_put(w, x->first, &rec, fp[pi].imsi, fp[pi].n);
		} else {
			eir_writer_put(w, x->first, &rec, NULL, 0);
		}
		rc = eir_writer_error(w, &wmsg);
		if (rc) {
			st = writer_status(c, rc, wmsg, x->line);
			eir_writer_abort(w);
			goto out;
		}
	}
	set_meta(c, w);
	rc = eir_writer_commit(w, err, sizeof(err));
	if (rc) {
		st = refuse(c, IMPORT_FAILED, "%s", err);
		goto out;
	}
	c->res->write_s = now_s() - t0;
	c->res->rows = rows.n;
	goto out;
oom:
	st = refuse(c, IMPORT_FAILED, "%s:%lu: out of memory", c->path, c->lineno);
out:
	free(rows.p);
	free(pairs.p);
	return st;
}

/* One row of a first-seen file: 16 bytes, as a full snapshot's. */
struct fsrow {
	uint64_t key;
	uint32_t t, line;
};
_Static_assert(sizeof(struct fsrow) == 16, "first-seen rows stay small");

static int cmp_fsrow(const void *a, const void *b)
{
	const struct fsrow *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

/* The name a first-seen import is recorded under: the file's, one line of
 * printable text. */
static void fs_source(const char *path, char *out, size_t sz)
{
	const char *slash = strrchr(path, '/');
	size_t i = 0;

	if (!strcmp(path, "-"))
		path = "stdin";
	else if (slash && slash[1])
		path = slash + 1;
	for (; path[i] && i + 1 < sz; i++)
		out[i] = (unsigned char)path[i] < 0x20 || path[i] == 0x7f ? '?' : path[i];
	out[i] = '\0';
}

/* A first-seen file (its column line read): every row lowers the first
 * sighting of its IMEI to min(stored, row) in the generation in service,
 * in one transaction, so that the exports of several nodes give the same
 * data in any order and a file applied twice changes nothing. The
 * registry data and its snapshot identity stay as they are: deltas based
 * on the database's seq still apply. */
static enum import_status import_first_seen(struct ctx *c)
{
	struct vec rows = { .size = sizeof(struct fsrow), .limit = c->o->max_rows };
	enum import_status st = IMPORT_APPLIED;
	uint64_t nnew = 0, nearlier = 0, nkept = 0, dups = 0;
	struct firstseen_row row;
	struct eir_writer *w = NULL;
	struct eir_meta m;
	char err[512], src[EIR_SOURCE_MAX];
	const char *line, *wmsg;
	size_t n = 0;
	int rc;

	rc = eir_store_read_meta(c->dir, &m);
	if (rc == -ENOENT)
		return refuse(c, IMPORT_REFUSED, "%s: %s holds no registry database yet: import a registry snapshot "
			      "first (a first-seen file updates the database in service)", c->path, c->dir);
	if (rc)
		return refuse(c, IMPORT_FAILED, "%s: cannot read the database: %s", c->dir, strerror(-rc));

	double t0 = now_s();
	for (;;) {
		ssize_t len = snap_input_line(c->in, &line);
		if (len == -2) {
			st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno + 1, snap_input_error(c->in));
			goto out;
		}
		if (len == -1) {
			if (firstseen_finish(&c->fs, err, sizeof(err))) {
				st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno, err);
				goto out;
			}
			break;
		}
		c->lineno++;
		rc = firstseen_parse_line(&c->fs, line, (size_t)len, &row, err, sizeof(err));
		if (rc < 0) {
			st = refuse(c, IMPORT_REFUSED, "%s:%lu: %s", c->path, c->lineno, err);
			goto out;
		}
		if (rc != FIRSTSEEN_LINE_ROW)
			continue;
		if (c->o->max_rows && c->fs.rows > c->o->max_rows) {
			st = refuse(c, IMPORT_REFUSED, "%s:%lu: more than %llu rows (--max-rows %llu)", c->path,
				    c->lineno, (unsigned long long)c->o->max_rows, (unsigned long long)c->o->max_rows);
			goto out;
		}
		struct fsrow *f = vec_push(&rows);
		if (!f) {
			st = refuse(c, IMPORT_FAILED, "%s:%lu: out of memory", c->path, c->lineno);
			goto out;
		}
		*f = (struct fsrow){ .key = row.imei, .t = row.first_seen, .line = (uint32_t)c->lineno };
		if ((c->fs.rows & 0xffff) == 0)
			progress_update(&c->prog, c->fs.rows, snap_input_pos(c->in));
	}
	progress_done(&c->prog, c->fs.rows);

	/* In key order, each IMEI once with its earliest time: an IMEI twice
	 * in one file is no error (a node may have merged two stores). */
	struct fsrow *fr = rows.p;
	if (rows.n > 1)
		qsort(fr, rows.n, rows.size, cmp_fsrow);
	for (size_t i = 0; i < rows.n; i++) {
		if (n && fr[i].key == fr[n - 1].key) {
			dups++;
			continue;
		}
		fr[n++] = fr[i];
	}
	c->res->parse_s = now_s() - t0;

	t0 = now_s();
	struct eir_writer_opts wo = { .mode = EIR_WRITE_UPDATE, .lock = c->o->lock };
	rc = eir_writer_open(&w, c->dir, &wo, err, sizeof(err));
	if (rc) {
		st = refuse(c, IMPORT_FAILED, "%s", err);
		goto out;
	}
	progress_phase(&c->prog, "applying", n);
	for (size_t i = 0; i < n; i++) {
		if ((i & 0xffff) == 0)
			progress_update(&c->prog, i, 0);
		rc = eir_writer_first_seen_min(w, fr[i].key, fr[i].t);
		if (rc < 0) {
			eir_writer_error(w, &wmsg);
			st = writer_status(c, rc, wmsg, fr[i].line);
			eir_writer_abort(w);
			goto out;
		}
		nnew += rc == EIR_FS_NEW;
		nearlier += rc == EIR_FS_EARLIER;
		nkept += rc == EIR_FS_KEPT;
	}
	fs_source(c->path, src, sizeof(src));
	eir_writer_set_first_seen_import(w, src, (uint64_t)time(NULL));
	rc = eir_writer_commit(w, err, sizeof(err));
	if (rc) {
		st = refuse(c, IMPORT_FAILED, "%s", err);
		goto out;
	}
	c->res->write_s = now_s() - t0;
	c->res->rows = c->fs.rows;
	c->res->seq = m.seq;
	char dupmsg[96] = "";
	if (dups)
		snprintf(dupmsg, sizeof(dupmsg), " (%llu rows repeat an IMEI: its earliest time counts)",
			 (unsigned long long)dups);
	snprintf(c->res->msg, sizeof(c->res->msg),
		 "%s: applied first-seen file: %llu rows, %zu IMEIs: %llu new, %llu earlier, %llu unchanged%s "
		 "in %.2f s (the registry data stays at seq %llu)",
		 c->path, (unsigned long long)c->fs.rows, n, (unsigned long long)nnew,
		 (unsigned long long)nearlier, (unsigned long long)nkept, dupmsg,
		 c->res->parse_s + c->res->write_s, (unsigned long long)m.seq);
out:
	free(rows.p);
	return st;
}

enum import_status import_file(const char *dir, const char *path, const struct import_opts *o,
			       struct import_result *res)
{
	struct ctx c = { .dir = dir, .path = path, .o = o, .res = res };
	enum import_status st;
	char err[512];

	memset(res, 0, sizeof(*res));
	eir_snap_init(&c.p);
	if (snap_input_open(&c.in, path, err, sizeof(err)))
		return refuse(&c, IMPORT_REFUSED, "%s", err);
	snap_input_limit(c.in, o->max_bytes);
	progress_init(&c.prog, o->progress, path, snap_input_size(c.in));
	st = read_header(&c);
	if (st == IMPORT_REFUSED && c.lineno == 1 && c.firstseen) {
		st = import_first_seen(&c);
		progress_clear(&c.prog);
		snap_input_close(c.in);
		return st;
	}
	if (st == IMPORT_REFUSED && c.lineno == 1 && c.dirbs != DIRBS_NONE) {
		st = dirbs_import(dir, path, c.in, c.dirbs, c.dirbs_cols, o, res);
		progress_clear(&c.prog);
		if (st == IMPORT_APPLIED)
			snprintf(res->msg, sizeof(res->msg), "%s: applied DIRBS %s as seq %llu: %llu rows, %llu skipped",
				 path, res->delta ? "delta list" : "list", (unsigned long long)res->seq,
				 (unsigned long long)res->rows, (unsigned long long)res->skipped);
		snap_input_close(c.in);
		return st;
	}
	if (st == IMPORT_APPLIED)
		st = c.p.hdr.kind == EIR_SNAP_DELTA ? import_delta(&c) : import_full(&c);
	progress_clear(&c.prog);
	if (st == IMPORT_APPLIED)
		snprintf(res->msg, sizeof(res->msg),
			 "%s: applied %s seq %llu: %llu rows, %llu skipped in %.2f s (read %.2f s, write %.2f s)",
			 path, res->delta ? "delta" : "full", (unsigned long long)res->seq,
			 (unsigned long long)res->rows, (unsigned long long)res->skipped,
			 res->parse_s + res->write_s, res->parse_s, res->write_s);
	reasons_free(&c.reasons);
	snap_input_close(c.in);
	return st;
}

int import_peek(const char *path, uint64_t *seq, uint64_t *base, bool *delta, char *msg, size_t msgsz)
{
	struct import_result res;
	struct import_opts o = { 0 };
	struct ctx c = { .path = path, .o = &o, .res = &res };
	char err[512];
	int rc = 0;

	memset(&res, 0, sizeof(res));
	eir_snap_init(&c.p);
	if (snap_input_open(&c.in, path, err, sizeof(err))) {
		snprintf(msg, msgsz, "%s", err);
		return -1;
	}
	progress_init(&c.prog, false, path, 0);
	if (read_header(&c) != IMPORT_APPLIED) {
		snprintf(msg, msgsz, "%s", res.msg);
		rc = -1;
	}
	*seq = res.seq, *base = res.base, *delta = res.delta;
	snap_input_close(c.in);
	return rc;
}
