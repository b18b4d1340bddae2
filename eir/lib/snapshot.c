/* Parser for the native snapshot format (snapshot.h). Strict: a row that
 * does not say exactly what it means is refused, with the reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "imei.h"
#include "snapshot.h"
#include "timefmt.h"

#define HEADER_TAG  "# eir-snapshot "
#define TRAILER_TAG "# end rows="
#define COLS_FULL   "imei,status,reason,valid_until,imsi"
#define COLS_DELTA  "op,imei,status,reason,valid_until,imsi"
#define LOCK_PREFIX "lock:"

enum { ST_HEADER, ST_COLUMNS, ST_ROWS, ST_DONE };

static int bad(char *err, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (err && sz) {
		va_start(ap, fmt);
		vsnprintf(err, sz, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void eir_snap_init(struct eir_snap_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = ST_HEADER;
}

/* A bounded view of a string. */
struct span {
	const char *s;
	size_t n;
};

static bool span_eq(struct span a, const char *lit)
{
	return a.n == strlen(lit) && !memcmp(a.s, lit, a.n);
}

static int parse_u64(struct span v, uint64_t *out)
{
	uint64_t x = 0;

	if (!v.n || v.n > 19)
		return -EINVAL;
	for (size_t i = 0; i < v.n; i++) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(v.s[i] - '0');
	}
	*out = x;
	return 0;
}

static int parse_header(struct eir_snap_parser *p, struct span line, char *err, size_t sz)
{
	struct eir_snap_header *h = &p->hdr;
	bool have_version = false, have_kind = false, have_seq = false, have_base = false;
	size_t i = strlen(HEADER_TAG);

	if (line.n < i || memcmp(line.s, HEADER_TAG, i))
		return bad(err, sz, "first line must be the header '" HEADER_TAG "version=1 kind=... seq=...'");
	while (i < line.n) {
		struct span f = { line.s + i, 0 }, key, val;
		const char *eq;

		while (i < line.n && line.s[i] != ' ')
			i++, f.n++;
		i++;
		if (!f.n)
			continue;
		eq = memchr(f.s, '=', f.n);
		if (!eq)
			return bad(err, sz, "header field '%.*s' is not key=value", (int)f.n, f.s);
		key = (struct span){ f.s, (size_t)(eq - f.s) };
		val = (struct span){ eq + 1, f.n - key.n - 1 };
		if (span_eq(key, "version")) {
			uint64_t v;
			if (parse_u64(val, &v) || v != EIR_SNAP_VERSION)
				return bad(err, sz, "unsupported format version '%.*s' (this build reads %d)",
					   (int)val.n, val.s, EIR_SNAP_VERSION);
			h->version = (unsigned)v, have_version = true;
		} else if (span_eq(key, "kind")) {
			if (span_eq(val, "full"))
				h->kind = EIR_SNAP_FULL;
			else if (span_eq(val, "delta"))
				h->kind = EIR_SNAP_DELTA;
			else
				return bad(err, sz, "kind must be full or delta, not '%.*s'", (int)val.n, val.s);
			have_kind = true;
		} else if (span_eq(key, "seq")) {
			if (parse_u64(val, &h->seq))
				return bad(err, sz, "seq '%.*s' is not a number", (int)val.n, val.s);
			have_seq = true;
		} else if (span_eq(key, "base")) {
			if (parse_u64(val, &h->base))
				return bad(err, sz, "base '%.*s' is not a number", (int)val.n, val.s);
			have_base = true;
		} else if (span_eq(key, "source")) {
			if (!val.n || val.n >= sizeof(h->source))
				return bad(err, sz, "source must be 1 to %zu characters", sizeof(h->source) - 1);
			/* It is shown to the NOC and kept in the history of
			 * applied snapshots: printable ASCII, one word, not "-". */
			for (size_t k = 0; k < val.n; k++)
				if ((unsigned char)val.s[k] <= 0x20 || (unsigned char)val.s[k] >= 0x7f)
					return bad(err, sz, "source must be printable ASCII without blanks");
			if (val.n == 1 && val.s[0] == '-')
				return bad(err, sz, "source must not be '-'");
			memcpy(h->source, val.s, val.n);
			h->source[val.n] = '\0';
		} else if (span_eq(key, "created")) {
			if (eir_time_parse(val.s, val.n, &h->created))
				return bad(err, sz, "created '%.*s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
					   (int)val.n, val.s);
		} else {
			return bad(err, sz, "unknown header field '%.*s'", (int)key.n, key.s);
		}
	}
	if (!have_version || !have_kind || !have_seq)
		return bad(err, sz, "header lacks %s", !have_version ? "version" : !have_kind ? "kind" : "seq");
	if (h->kind == EIR_SNAP_DELTA && !have_base)
		return bad(err, sz, "a delta header needs base=SEQ");
	if (h->kind == EIR_SNAP_FULL && have_base)
		return bad(err, sz, "a full snapshot has no base");
	if (h->kind == EIR_SNAP_DELTA && h->base >= h->seq)
		return bad(err, sz, "delta base %llu must be below its seq %llu",
			   (unsigned long long)h->base, (unsigned long long)h->seq);
	return EIR_SNAP_LINE_META;
}

static int parse_key14(struct span v, uint64_t *key)
{
	struct eir_imei imei;

	if (v.n != 14 && v.n != 15)
		return -EINVAL;
	if (eir_imei_parse(v.s, v.n, EIR_IMEI_STRICT_CD, &imei))
		return -EINVAL;
	*key = imei.key;
	return 0;
}

static int parse_imei_col(struct span v, struct eir_snap_row *row, char *err, size_t sz)
{
	const char *dash = memchr(v.s, '-', v.n);
	struct eir_imei imei;
	int rc;

	row->is_range = false;
	if (dash) {
		struct span a = { v.s, (size_t)(dash - v.s) }, b = { dash + 1, v.n - a.n - 1 };
		if (a.n != 14 || b.n != 14 || parse_key14(a, &row->first) || parse_key14(b, &row->last))
			return bad(err, sz, "range '%.*s' must be two 14-digit IMEIs FIRST-LAST", (int)v.n, v.s);
		if (row->first > row->last)
			return bad(err, sz, "range '%.*s' ends before it starts", (int)v.n, v.s);
		row->is_range = true;
		return 0;
	}
	if (v.n == EIR_TAC_DIGITS) {
		uint64_t tac;
		if (parse_u64(v, &tac))
			return bad(err, sz, "TAC '%.*s' is not 8 digits", (int)v.n, v.s);
		row->first = tac * 1000000, row->last = row->first + 999999;
		row->is_range = true;
		return 0;
	}
	if (v.n != 14 && v.n != 15)
		return bad(err, sz, "imei '%.*s' must be 14 or 15 digits, an 8-digit TAC or FIRST-LAST",
			   (int)v.n, v.s);
	rc = eir_imei_parse(v.s, v.n, EIR_IMEI_STRICT_CD, &imei);
	if (rc)
		return bad(err, sz, "imei '%.*s': %s", (int)v.n, v.s, eir_imei_strerror(rc));
	row->first = row->last = imei.key;
	return 0;
}

static int parse_imsis(struct span v, struct eir_snap_row *row, char *err, size_t sz)
{
	size_t plen = strlen(LOCK_PREFIX);

	if (v.n >= plen && !memcmp(v.s, LOCK_PREFIX, plen)) {
		row->rec.flags |= EIR_REC_LOCKED;
		v.s += plen, v.n -= plen;
		if (!v.n)
			return bad(err, sz, "'lock:' needs at least one IMSI");
	}
	while (v.n) {
		const char *semi = memchr(v.s, ';', v.n);
		struct span one = { v.s, semi ? (size_t)(semi - v.s) : v.n };

		if (row->n_imsis == EIR_MAX_PAIRS)
			return bad(err, sz, "more than %d IMSIs", EIR_MAX_PAIRS);
		if (eir_imsi_parse(one.s, one.n, &row->imsis[row->n_imsis]))
			return bad(err, sz, "imsi '%.*s' must be 6 to 15 digits", (int)one.n, one.s);
		for (size_t i = 0; i < row->n_imsis; i++) {
			if (row->imsis[i] == row->imsis[row->n_imsis])
				return bad(err, sz, "imsi '%.*s' listed twice", (int)one.n, one.s);
		}
		row->n_imsis++;
		if (!semi)
			break;
		v.s = semi + 1, v.n -= one.n + 1;
		if (!v.n)
			return bad(err, sz, "empty IMSI after ';'");
	}
	return 0;
}

static int parse_row(struct eir_snap_parser *p, struct span line, struct eir_snap_row *row,
		     char *err, size_t sz)
{
	struct span col[7];
	size_t ncol = 0, want = p->hdr.kind == EIR_SNAP_DELTA ? 6 : 5, c = 0;
	const char *s = line.s, *end = line.s + line.n;

	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		if (ncol == 7)
			return bad(err, sz, "too many columns (expected %zu)", want);
		col[ncol++] = (struct span){ s, comma ? (size_t)(comma - s) : (size_t)(end - s) };
		if (!comma)
			break;
		s = comma + 1;
	}
	if (ncol != want)
		return bad(err, sz, "%zu columns, expected %zu", ncol, want);

	memset(row, 0, sizeof(*row));
	row->op = EIR_SNAP_SET;
	if (want == 6) {
		if (span_eq(col[0], "del"))
			row->op = EIR_SNAP_DEL;
		else if (!span_eq(col[0], "set"))
			return bad(err, sz, "op must be set or del, not '%.*s'", (int)col[0].n, col[0].s);
		c = 1;
	}
	if (parse_imei_col(col[c], row, err, sz))
		return -EINVAL;
	if (row->op == EIR_SNAP_DEL) {
		for (size_t i = c + 1; i < want; i++) {
			if (col[i].n)
				return bad(err, sz, "a del row carries only the imei");
		}
		return EIR_SNAP_LINE_ROW;
	}
	row->rec.status = (uint8_t)eir_status_from_name(col[c + 1].s, col[c + 1].n);
	if (row->rec.status == EIR_STATUS_NONE)
		return bad(err, sz, "unknown status '%.*s' (active, registered, traveller, blocked, tracked, exempt)",
			   (int)col[c + 1].n, col[c + 1].s);
	if (col[c + 2].n > EIR_SNAP_REASON_MAX)
		return bad(err, sz, "reason longer than %d characters", EIR_SNAP_REASON_MAX);
	for (size_t i = 0; i < col[c + 2].n; i++) {
		unsigned char ch = (unsigned char)col[c + 2].s[i];
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == ';')
			return bad(err, sz, "reason contains a control character, quote or ';'");
	}
	memcpy(row->reason, col[c + 2].s, col[c + 2].n);
	if (col[c + 3].n) {
		uint64_t t;
		if (eir_time_parse(col[c + 3].s, col[c + 3].n, &t) || t == 0 || t > UINT32_MAX)
			return bad(err, sz, "valid_until '%.*s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
				   (int)col[c + 3].n, col[c + 3].s);
		row->rec.valid_until = (uint32_t)t;
	}
	if (col[c + 4].n) {
		if (row->is_range)
			return bad(err, sz, "ranges and TACs carry no IMSIs");
		if (parse_imsis(col[c + 4], row, err, sz))
			return -EINVAL;
	}
	return EIR_SNAP_LINE_ROW;
}

int eir_snap_parse_line(struct eir_snap_parser *p, const char *line, size_t len,
			struct eir_snap_row *row, char *err, size_t errsz)
{
	struct span l = { line, len };
	uint64_t n;

	if (l.n && l.s[l.n - 1] == '\n')
		l.n--;
	if (l.n && l.s[l.n - 1] == '\r')
		l.n--;
	if (memchr(l.s, '\0', l.n))
		return bad(err, errsz, "NUL character in line");
	switch (p->state) {
	case ST_HEADER:
		/* A UTF-8 byte order mark is tolerated before the header. */
		if (l.n >= 3 && !memcmp(l.s, "\xef\xbb\xbf", 3))
			l.s += 3, l.n -= 3;
		if (parse_header(p, l, err, errsz))
			return -EINVAL;
		p->state = ST_COLUMNS;
		return EIR_SNAP_LINE_META;
	case ST_COLUMNS:
		if (!span_eq(l, p->hdr.kind == EIR_SNAP_DELTA ? COLS_DELTA : COLS_FULL))
			return bad(err, errsz, "second line must name the columns: %s",
				   p->hdr.kind == EIR_SNAP_DELTA ? COLS_DELTA : COLS_FULL);
		p->state = ST_ROWS;
		return EIR_SNAP_LINE_META;
	case ST_ROWS:
		if (!l.n)
			return EIR_SNAP_LINE_META;
		if (l.s[0] == '#') {
			size_t tl = strlen(TRAILER_TAG);
			if (l.n <= tl || memcmp(l.s, TRAILER_TAG, tl) ||
			    parse_u64((struct span){ l.s + tl, l.n - tl }, &n))
				return bad(err, errsz, "a line starting with '#' must be the trailer '" TRAILER_TAG "N'");
			if (n != p->rows)
				return bad(err, errsz, "trailer says %llu rows, the file has %llu",
					   (unsigned long long)n, (unsigned long long)p->rows);
			p->state = ST_DONE;
			return EIR_SNAP_LINE_END;
		}
		if (parse_row(p, l, row, err, errsz) != EIR_SNAP_LINE_ROW)
			return -EINVAL;
		p->rows++;
		return EIR_SNAP_LINE_ROW;
	default:
		if (!l.n)
			return EIR_SNAP_LINE_META;
		return bad(err, errsz, "data after the trailer");
	}
}

bool eir_snap_in_rows(const struct eir_snap_parser *p)
{
	return p->state == ST_ROWS;
}

void eir_snap_skip_row(struct eir_snap_parser *p)
{
	p->rows++;
}

int eir_snap_finish(const struct eir_snap_parser *p, char *err, size_t errsz)
{
	if (p->state == ST_DONE)
		return 0;
	if (p->state == ST_HEADER)
		return bad(err, errsz, "empty file: no header");
	return bad(err, errsz, "no trailer '" TRAILER_TAG "N' after %llu rows: truncated file?",
		   (unsigned long long)p->rows);
}

int eir_snap_format_header(const struct eir_snap_header *h, char *out, size_t outsz)
{
	char when[32], base[32] = "";
	int n;

	if (h->kind == EIR_SNAP_DELTA)
		snprintf(base, sizeof(base), " base=%llu", (unsigned long long)h->base);
	n = snprintf(out, outsz, HEADER_TAG "version=%d kind=%s seq=%llu%s source=%s created=%s\n%s\n",
		     EIR_SNAP_VERSION, h->kind == EIR_SNAP_DELTA ? "delta" : "full",
		     (unsigned long long)h->seq, base, h->source[0] ? h->source : "unknown",
		     eir_time_format(h->created, when, sizeof(when)),
		     h->kind == EIR_SNAP_DELTA ? COLS_DELTA : COLS_FULL);
	return (n < 0 || (size_t)n >= outsz) ? -ENOSPC : n;
}
