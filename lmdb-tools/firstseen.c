/* Parser for first-seen files (firstseen.h). Strict, like the native
 * snapshot parser: a row that does not say exactly what it means is
 * refused, with the reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "firstseen.h"
#include "imei.h"
#include "timefmt.h"

#define TRAILER_TAG "# end rows="
#define BOM         "\xef\xbb\xbf"

enum { ST_COLUMNS, ST_ROWS, ST_DONE };

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

/* The line without its "\n" or "\r\n". */
static size_t chomp(const char *line, size_t len)
{
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	return len;
}

static bool is_columns(const char *s, size_t n)
{
	if (n >= 3 && !memcmp(s, BOM, 3))
		s += 3, n -= 3;
	return n == strlen(FIRSTSEEN_COLUMNS) && !memcmp(s, FIRSTSEEN_COLUMNS, n);
}

bool firstseen_detect(const char *line, size_t len)
{
	return is_columns(line, chomp(line, len));
}

void firstseen_init(struct firstseen_parser *p, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->state = ST_COLUMNS;
	p->now = now;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (!n || n > 19)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*out = x;
	return 0;
}

static int parse_row(const struct firstseen_parser *p, const char *s, size_t n,
		     struct firstseen_row *row, char *err, size_t sz)
{
	const char *comma = memchr(s, ',', n), *ts;
	struct eir_imei imei;
	char when[32];
	size_t in, tn;
	uint64_t t;
	int rc;

	if (!comma || memchr(comma + 1, ',', n - (size_t)(comma + 1 - s))) {
		size_t cols = 1;
		for (size_t i = 0; i < n; i++)
			cols += s[i] == ',';
		return bad(err, sz, "%zu column%s, expected 2 (" FIRSTSEEN_COLUMNS ")", cols, cols == 1 ? "" : "s");
	}
	in = (size_t)(comma - s);
	ts = comma + 1;
	tn = n - in - 1;
	if (in != 14 && in != 15)
		return bad(err, sz, "imei '%.*s' must be 14 digits, or 15 with its check digit", (int)in, s);
	rc = eir_imei_parse(s, in, EIR_IMEI_STRICT_CD, &imei);
	if (rc)
		return bad(err, sz, "imei '%.*s': %s", (int)in, s, eir_imei_strerror(rc));
	if (eir_time_parse(ts, tn, &t))
		return bad(err, sz, "first_seen '%.*s' is not YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD", (int)tn, ts);
	if (t == 0)
		return bad(err, sz, "first_seen '%.*s' is the epoch, not a sighting", (int)tn, ts);
	if (t > p->now + FIRSTSEEN_MAX_AHEAD || t > UINT32_MAX)
		return bad(err, sz, "first_seen '%.*s' is more than a day in the future (now %s): "
			   "is the exporting node's clock right?", (int)tn, ts,
			   eir_time_format(p->now, when, sizeof(when)));
	row->imei = imei.key;
	row->first_seen = (uint32_t)t;
	return 0;
}

int firstseen_parse_line(struct firstseen_parser *p, const char *line, size_t len,
			 struct firstseen_row *row, char *err, size_t errsz)
{
	size_t n = chomp(line, len), tl = strlen(TRAILER_TAG);
	uint64_t rows;

	if (memchr(line, '\0', n))
		return bad(err, errsz, "NUL character in line");
	switch (p->state) {
	case ST_COLUMNS:
		if (!is_columns(line, n))
			return bad(err, errsz, "first line must name the columns: " FIRSTSEEN_COLUMNS);
		p->state = ST_ROWS;
		return FIRSTSEEN_LINE_META;
	case ST_ROWS:
		if (!n)
			return FIRSTSEEN_LINE_META;
		if (line[0] == '#') {
			if (n <= tl || memcmp(line, TRAILER_TAG, tl) || parse_u64(line + tl, n - tl, &rows))
				return bad(err, errsz, "a line starting with '#' must be the trailer '" TRAILER_TAG "N'");
			if (rows != p->rows)
				return bad(err, errsz, "trailer says %llu rows, the file has %llu",
					   (unsigned long long)rows, (unsigned long long)p->rows);
			p->state = ST_DONE;
			return FIRSTSEEN_LINE_END;
		}
		if (parse_row(p, line, n, row, err, errsz))
			return -EINVAL;
		p->rows++;
		return FIRSTSEEN_LINE_ROW;
	default:
		if (!n)
			return FIRSTSEEN_LINE_META;
		return bad(err, errsz, "data after the trailer");
	}
}

int firstseen_finish(const struct firstseen_parser *p, char *err, size_t errsz)
{
	if (p->state == ST_DONE)
		return 0;
	if (p->state == ST_COLUMNS)
		return bad(err, errsz, "empty file: no column line");
	return bad(err, errsz, "no trailer '" TRAILER_TAG "N' after %llu rows: truncated file?",
		   (unsigned long long)p->rows);
}
