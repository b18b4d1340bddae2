/* DIRBS operator lists (dirbs.h). DIRBS runs the blacklist model: the
 * blacklist names IMEIs to block, the exceptions list names IMEI-IMSI
 * pairs that may use the network anyway. Onto the EIR's records:
 *   block      record status blocked, reason = the first listed reason;
 *              paired IMSIs are kept (the exception overrides the block)
 *   unblock    the record goes, or becomes active if it still has pairs
 *   exception  the IMSI joins the record's pair list; an IMEI without a
 *              record gets an active one to carry its pairs
 * A full list replaces the set it describes (every blocked IMEI, or every
 * pairing); a delta changes it. Each file is applied in one transaction,
 * as the next seq of the database. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dirbs.h"
#include "imei.h"
#include "reasons.h"
#include "record.h"
#include "store.h"
#include "timefmt.h"


static const struct {
	const char *cols;
	enum dirbs_kind kind;
} headers[] = {
	{ "imei,block_date,reasons", DIRBS_BLACKLIST },
	{ "imei,block_date,reasons,change_type", DIRBS_BLACKLIST_DELTA },
	{ "imei,imsi", DIRBS_EXCEPTIONS },
	{ "imei,imsi,msisdn", DIRBS_EXCEPTIONS },
	{ "imei,imsi,change_type", DIRBS_EXCEPTIONS_DELTA },
	{ "imei,imsi,msisdn,change_type", DIRBS_EXCEPTIONS_DELTA },
};

enum dirbs_kind dirbs_detect(const char *line, size_t len, unsigned *ncols)
{
	if (len && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		if (strlen(headers[i].cols) == len && !memcmp(headers[i].cols, line, len)) {
			*ncols = 1;
			for (const char *p = headers[i].cols; *p; p++)
				*ncols += *p == ',';
			return headers[i].kind;
		}
	}
	return DIRBS_NONE;
}

struct dctx {
	const char *dir, *path;
	const struct import_opts *o;
	struct import_result *res;
	enum dirbs_kind kind;
	unsigned ncols;
	struct reasons reasons;
	struct dirbs_row *rows;
	size_t n, cap;
	struct eir_writer *w;
	uint8_t map[256];
};

static enum import_status say(struct dctx *c, enum import_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum import_status say(struct dctx *c, enum import_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->res->msg, sizeof(c->res->msg), fmt, ap);
	va_end(ap);
	return st;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return n > 0;
}

int dirbs_parse_row(enum dirbs_kind kind, unsigned ncols, struct reasons *reasons,
		    char *line, size_t len, struct dirbs_row *r, char *err, size_t esz)
{
	struct { enum dirbs_kind kind; unsigned ncols; struct reasons *reasons; } cc = { kind, ncols, reasons },
		*c = &cc;
	char *col[5];
	unsigned n = 0;
	char *p = line;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	for (;;) {
		char *comma = strchr(p, ',');
		if (n == 5) {
			snprintf(err, esz, "too many columns (expected %u)", c->ncols);
			return -1;
		}
		col[n++] = p;
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	if (n != c->ncols) {
		snprintf(err, esz, "%u columns, expected %u", n, c->ncols);
		return -1;
	}
	if (strlen(col[0]) != EIR_IMEI_DIGITS || !digits(col[0], EIR_IMEI_DIGITS)) {
		snprintf(err, esz, "imei '%s' must be 14 digits (DIRBS normalised)", col[0]);
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->imei = strtoull(col[0], NULL, 10);
	const char *change = NULL;
	if (c->kind == DIRBS_BLACKLIST || c->kind == DIRBS_BLACKLIST_DELTA) {
		char iso[11];
		uint64_t t;
		const char *d = col[1];
		if (strlen(d) != 8 || !digits(d, 8)) {
			snprintf(err, esz, "block_date '%s' must be YYYYMMDD", d);
			return -1;
		}
		snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", d, d + 4, d + 6);
		if (eir_time_parse(iso, 10, &t)) {
			snprintf(err, esz, "block_date '%s' is not a date", d);
			return -1;
		}
		/* The first reason decides the record's reason; the rest are
		 * the registry's detail. */
		char *reason = col[2];
		reason[strcspn(reason, "|")] = '\0';
		if (strlen(reason) > 63) {
			snprintf(err, esz, "reason longer than 63 characters");
			return -1;
		}
		for (const char *q = reason; *q; q++) {
			if ((unsigned char)*q < 0x20 || *q == '"' || *q == ';') {
				snprintf(err, esz, "reason contains a control character, quote or ';'");
				return -1;
			}
		}
		int id = reasons_id(c->reasons, reason);
		if (id < 0) {
			snprintf(err, esz, "more than 255 distinct reasons");
			return -1;
		}
		r->reason = (uint8_t)id;
		r->op = DIRBS_BLOCK;
		if (c->kind == DIRBS_BLACKLIST_DELTA)
			change = col[3];
	} else {
		if (eir_imsi_parse(col[1], strlen(col[1]), &r->imsi)) {
			snprintf(err, esz, "imsi '%s' must be 6 to 15 digits", col[1]);
			return -1;
		}
		unsigned next = 2;
		if (c->ncols == 3 + (c->kind == DIRBS_EXCEPTIONS_DELTA)) {
			if (col[2][0] && (strlen(col[2]) > 15 || !digits(col[2], strlen(col[2])))) {
				snprintf(err, esz, "msisdn '%s' must be up to 15 digits", col[2]);
				return -1;
			}
			next = 3;
		}
		r->op = DIRBS_ADD;
		if (c->kind == DIRBS_EXCEPTIONS_DELTA)
			change = col[next];
	}
	if (change) {
		static const struct { const char *w; enum dirbs_op op; bool bl; } ct[] = {
			{ "blocked", DIRBS_BLOCK, true }, { "unblocked", DIRBS_UNBLOCK, true },
			{ "changed", DIRBS_CHANGE, true }, { "added", DIRBS_ADD, false },
			{ "removed", DIRBS_REMOVE, false },
		};
		bool bl = c->kind == DIRBS_BLACKLIST_DELTA, found = false;
		for (size_t i = 0; i < sizeof(ct) / sizeof(ct[0]); i++) {
			if (ct[i].bl == bl && !strcmp(change, ct[i].w)) {
				r->op = (uint8_t)ct[i].op;
				found = true;
			}
		}
		if (!found) {
			snprintf(err, esz, "change_type '%s' must be %s", change,
				 bl ? "blocked, unblocked or changed" : "added or removed");
			return -1;
		}
	}
	return 0;
}

static int cmp_drow(const void *a, const void *b)
{
	const struct dirbs_row *x = a, *y = b;
	if (x->imei != y->imei)
		return x->imei < y->imei ? -1 : 1;
	return (x->imsi > y->imsi) - (x->imsi < y->imsi);
}

static int cmp_line(const void *a, const void *b)
{
	uint32_t x = ((const struct dirbs_row *)a)->line, y = ((const struct dirbs_row *)b)->line;
	return (x > y) - (x < y);
}

/* ---- the record operations, inside the writer's transaction ---- */

static void block(struct dctx *c, uint64_t imei, uint8_t reason)
{
	struct eir_record rec;
	uint64_t imsis[EIR_MAX_PAIRS];
	size_t n = 0;

	if (eir_writer_get(c->w, imei, &rec, imsis, &n))
		rec = (struct eir_record){ 0 }, n = 0;
	rec.status = EIR_STATUS_BLOCKED;
	rec.reason = reason;
	rec.valid_until = 0;
	eir_writer_put(c->w, imei, &rec, imsis, n);
}

static int unblock(struct dctx *c, uint64_t imei)
{
	struct eir_record rec;
	uint64_t imsis[EIR_MAX_PAIRS];
	size_t n;

	if (eir_writer_get(c->w, imei, &rec, imsis, &n) || rec.status != EIR_STATUS_BLOCKED)
		return -ENOENT;
	if (n) {
		rec.status = EIR_STATUS_ACTIVE;
		rec.reason = 0;
		eir_writer_put(c->w, imei, &rec, imsis, n);
	} else {
		eir_writer_del(c->w, imei);
	}
	return 0;
}

/* Set the IMEI's pair list (n may be 0); a record that only existed to
 * carry pairs goes when they do. */
static void set_pairs(struct dctx *c, uint64_t imei, const uint64_t *imsis, size_t n)
{
	struct eir_record rec;
	uint64_t old[EIR_MAX_PAIRS];
	size_t on;

	if (eir_writer_get(c->w, imei, &rec, old, &on)) {
		if (!n)
			return;
		rec = (struct eir_record){ .status = EIR_STATUS_ACTIVE };
	}
	rec.flags &= (uint8_t)~EIR_REC_LOCKED;	/* DIRBS exceptions allow, never lock */
	if (!n && rec.status == EIR_STATUS_ACTIVE)
		eir_writer_del(c->w, imei);
	else
		eir_writer_put(c->w, imei, &rec, imsis, n);
}

struct collect {
	struct dctx *c;
	uint64_t *keys;
	size_t n, cap;
	bool blocked;	/* collect blocked records, else paired ones */
	int err;
};

static int collect_cb(void *ctx, uint64_t imei, const struct eir_record *rec,
		      const uint64_t *imsis, size_t n)
{
	struct collect *k = ctx;

	if (k->blocked ? rec->status != EIR_STATUS_BLOCKED : n == 0)
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024;
		uint64_t *nk = realloc(k->keys, cap * sizeof(*nk));
		if (!nk) {
			k->err = -ENOMEM;
			return -ENOMEM;
		}
		k->keys = nk, k->cap = cap;
	}
	k->keys[k->n++] = imei;
	return 0;
}

static bool in_rows(const struct dctx *c, uint64_t imei)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->rows[mid].imei < imei)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->rows[lo].imei == imei;
}

static enum import_status writer_failed(struct dctx *c, unsigned long line)
{
	const char *msg;
	int rc = eir_writer_error(c->w, &msg);
	bool input = rc == -ENOENT || rc == -EEXIST || rc == -EINVAL;

	if (line)
		return say(c, input ? IMPORT_REFUSED : IMPORT_FAILED, "%s:%lu: %s", c->path, line, msg);
	return say(c, input ? IMPORT_REFUSED : IMPORT_FAILED, "%s: %s", c->path, msg);
}

/* A full list: everything it does not name leaves the set it describes. */
static enum import_status apply_full(struct dctx *c)
{
	struct collect k = { .c = c, .blocked = c->kind == DIRBS_BLACKLIST };
	int rc = eir_writer_walk(c->w, collect_cb, &k);

	if (rc || k.err) {
		free(k.keys);
		return say(c, IMPORT_FAILED, "%s: reading the database: %s", c->dir, strerror(-(rc ? rc : k.err)));
	}
	size_t distinct = 0;
	for (size_t i = 0; i < c->n; i++)
		distinct += !i || c->rows[i].imei != c->rows[i - 1].imei;
	if (k.n && distinct < k.n && (double)(k.n - distinct) > c->o->max_shrink * (double)k.n &&
	    !c->o->force) {
		free(k.keys);
		return say(c, IMPORT_REFUSED,
			   "%s: the list names %zu %s IMEIs, the database has %zu: it would shrink by %.1f%% "
			   "(more than --max-shrink %g%%); use --force if that is right",
			   c->path, distinct, k.blocked ? "blocked" : "paired", k.n,
			   100.0 * (double)(k.n - distinct) / (double)k.n, 100.0 * c->o->max_shrink);
	}
	for (size_t i = 0; i < k.n; i++) {
		if (in_rows(c, k.keys[i]))
			continue;
		if (k.blocked)
			unblock(c, k.keys[i]);
		else
			set_pairs(c, k.keys[i], NULL, 0);
	}
	free(k.keys);
	for (size_t i = 0; i < c->n;) {
		size_t j = i;
		if (c->kind == DIRBS_BLACKLIST) {
			block(c, c->rows[i].imei, c->map[c->rows[i].reason]);
			j = i + 1;
		} else {
			uint64_t imsis[EIR_MAX_PAIRS];
			size_t n = 0;
			for (; j < c->n && c->rows[j].imei == c->rows[i].imei; j++) {
				if (n == EIR_MAX_PAIRS)
					return say(c, IMPORT_REFUSED, "%s:%u: IMEI %014llu has more than %d IMSIs",
						   c->path, c->rows[j].line, (unsigned long long)c->rows[j].imei,
						   EIR_MAX_PAIRS);
				imsis[n++] = c->rows[j].imsi;
			}
			set_pairs(c, c->rows[i].imei, imsis, n);
		}
		if (eir_writer_error(c->w, NULL))
			return writer_failed(c, c->rows[i].line);
		i = j;
	}
	return IMPORT_APPLIED;
}

static enum import_status apply_delta(struct dctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct dirbs_row *r = &c->rows[i];
		struct eir_record rec;
		uint64_t imsis[EIR_MAX_PAIRS];
		size_t n = 0;
		bool have = eir_writer_get(c->w, r->imei, &rec, imsis, &n) == 0;

		switch (r->op) {
		case DIRBS_BLOCK:
			block(c, r->imei, c->map[r->reason]);
			break;
		case DIRBS_UNBLOCK:
			if (unblock(c, r->imei))
				return say(c, IMPORT_REFUSED, "%s:%u: unblocked IMEI %014llu is not blocked",
					   c->path, r->line, (unsigned long long)r->imei);
			break;
		case DIRBS_CHANGE:
			if (!have || rec.status != EIR_STATUS_BLOCKED)
				return say(c, IMPORT_REFUSED, "%s:%u: changed IMEI %014llu is not blocked",
					   c->path, r->line, (unsigned long long)r->imei);
			block(c, r->imei, c->map[r->reason]);
			break;
		case DIRBS_ADD:
			for (size_t j = 0; j < n; j++) {
				if (imsis[j] == r->imsi)
					return say(c, IMPORT_REFUSED, "%s:%u: IMEI %014llu is already paired with that IMSI",
						   c->path, r->line, (unsigned long long)r->imei);
			}
			if (n == EIR_MAX_PAIRS)
				return say(c, IMPORT_REFUSED, "%s:%u: IMEI %014llu already has %d IMSIs",
					   c->path, r->line, (unsigned long long)r->imei, EIR_MAX_PAIRS);
			imsis[n++] = r->imsi;
			set_pairs(c, r->imei, imsis, n);
			break;
		case DIRBS_REMOVE: {
			size_t j = 0;
			while (j < n && imsis[j] != r->imsi)
				j++;
			if (j == n)
				return say(c, IMPORT_REFUSED, "%s:%u: IMEI %014llu is not paired with that IMSI",
					   c->path, r->line, (unsigned long long)r->imei);
			imsis[j] = imsis[--n];
			set_pairs(c, r->imei, imsis, n);
			break;
		}
		}
		if (eir_writer_error(c->w, NULL))
			return writer_failed(c, r->line);
	}
	return IMPORT_APPLIED;
}

enum import_status dirbs_import(const char *dir, const char *path, struct snap_input *in,
				enum dirbs_kind kind, unsigned header_cols, const struct import_opts *o,
				struct import_result *res)
{
	struct dctx c = { .dir = dir, .path = path, .o = o, .res = res, .kind = kind };
	enum import_status st = IMPORT_APPLIED;
	unsigned long lineno = 1;
	const char *line;
	char buf[1024], err[256];
	ssize_t len;

	c.ncols = header_cols;
	res->delta = kind == DIRBS_BLACKLIST_DELTA || kind == DIRBS_EXCEPTIONS_DELTA;
	while ((len = snap_input_line(in, &line)) >= 0) {
		lineno++;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		if ((size_t)len >= sizeof(buf)) {
			st = say(&c, IMPORT_REFUSED, "%s:%lu: line too long", path, lineno);
			goto out;
		}
		memcpy(buf, line, (size_t)len);
		buf[len] = '\0';
		if (o->max_rows && c.n + res->skipped >= o->max_rows) {
			st = say(&c, IMPORT_REFUSED, "%s:%lu: more than %llu rows (--max-rows %llu)", path, lineno,
				 (unsigned long long)o->max_rows, (unsigned long long)o->max_rows);
			goto out;
		}
		if (c.n == c.cap) {
			size_t cap = c.cap ? c.cap * 2 : 1024;
			if (o->max_rows && cap > o->max_rows)
				cap = (size_t)o->max_rows;
			struct dirbs_row *nr = realloc(c.rows, cap * sizeof(*nr));
			if (!nr) {
				st = say(&c, IMPORT_FAILED, "%s:%lu: out of memory", path, lineno);
				goto out;
			}
			c.rows = nr, c.cap = cap;
		}
		if (dirbs_parse_row(kind, c.ncols, &c.reasons, buf, (size_t)len, &c.rows[c.n], err, sizeof(err))) {
			if (res->skipped < o->max_errors) {
				res->skipped++;
				fprintf(stderr, "eir-sync: %s:%lu: %s (row skipped, %llu of at most %lu)\n",
					path, lineno, err, (unsigned long long)res->skipped, o->max_errors);
				continue;
			}
			st = say(&c, IMPORT_REFUSED, "%s:%lu: %s", path, lineno, err);
			goto out;
		}
		c.rows[c.n++].line = (uint32_t)lineno;
	}
	if (len == -2) {
		st = say(&c, IMPORT_REFUSED, "%s:%lu: %s", path, lineno + 1, snap_input_error(in));
		goto out;
	}

	/* A key twice is ambiguous (a pair twice, for exceptions). */
	if (c.n > 1)
		qsort(c.rows, c.n, sizeof(*c.rows), cmp_drow);
	for (size_t i = 1; i < c.n; i++) {
		bool pairs = kind == DIRBS_EXCEPTIONS || kind == DIRBS_EXCEPTIONS_DELTA;
		if (c.rows[i].imei == c.rows[i - 1].imei && (!pairs || c.rows[i].imsi == c.rows[i - 1].imsi)) {
			uint32_t a = c.rows[i - 1].line, b = c.rows[i].line;
			st = say(&c, IMPORT_REFUSED, "%s:%u: IMEI %014llu%s appears twice (also line %u)", path,
				 a > b ? a : b, (unsigned long long)c.rows[i].imei, pairs ? " with that IMSI" : "",
				 a > b ? b : a);
			goto out;
		}
	}
	/* A delta is applied in file order, like the registry wrote it. */
	if (res->delta && c.n > 1)
		qsort(c.rows, c.n, sizeof(*c.rows), cmp_line);

	struct eir_writer_opts wo = { .mode = EIR_WRITE_UPDATE, .lock = o->lock };
	struct eir_meta cur, m;
	memset(&m, 0, sizeof(m));
	int mrc = eir_store_read_meta(dir, &cur);
	if (mrc && mrc != -ENOENT) {
		st = say(&c, IMPORT_FAILED, "%s: cannot read the database: %s", dir, strerror(-mrc));
		goto out;
	}
	if (eir_writer_open(&c.w, dir, &wo, buf, sizeof(buf))) {
		st = say(&c, IMPORT_FAILED, "%s", buf);
		goto out;
	}
	for (unsigned i = 1; i <= c.reasons.count; i++)
		c.map[i] = eir_writer_reason(c.w, c.reasons.name[i]);
	st = res->delta ? apply_delta(&c) : apply_full(&c);
	if (st != IMPORT_APPLIED) {
		eir_writer_abort(c.w);
		goto out;
	}
	struct stat sb;
	snprintf(m.kind, sizeof(m.kind), "%s", res->delta ? "delta" : "full");
	m.seq = (mrc ? 0 : cur.seq) + 1;
	snprintf(m.source, sizeof(m.source), "%s",
		 kind <= DIRBS_BLACKLIST_DELTA ? "dirbs-blacklist" : "dirbs-exceptions");
	m.created = stat(path, &sb) == 0 ? (uint64_t)sb.st_mtime : 0;
	m.imported = (uint64_t)time(NULL);
	eir_writer_set_meta(c.w, &m);
	if (eir_writer_commit(c.w, buf, sizeof(buf))) {
		st = say(&c, IMPORT_FAILED, "%s", buf);
		goto out;
	}
	res->seq = m.seq;
	res->rows = c.n;
out:
	free(c.rows);
	reasons_free(&c.reasons);
	return st;
}
