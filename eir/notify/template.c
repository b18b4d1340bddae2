/* The text of a warning SMS from the operator's template (template.h):
 * one walk over the template both checks it and renders it, so that a
 * template that passes template_check always renders. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>

#include "spool.h"
#include "template.h"

/* The day numbers of 0001-01-01 and 9999-12-31 (proleptic Gregorian):
 * every date rendered has a four-digit year. */
#define DAY_MIN (-719162)
#define DAY_MAX 2932896

#define MS_PER_DAY 86400000.0
#define MS_NOON 43200000.0

/* Shown of an unknown field's name in an error, in bytes. */
#define ERR_NAME_MAX 32

enum field {
	F_IMEI,
	F_DATE,
	F_DATE_HIJRI,
	F_DATE_HIJRI_LATIN,
	F_DAYS,
	F_DAYS_FA,
	F_REASON,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_IMEI] = "imei",
	[F_DATE] = "date",
	[F_DATE_HIJRI] = "date_hijri",
	[F_DATE_HIJRI_LATIN] = "date_hijri_latin",
	[F_DAYS] = "days",
	[F_DAYS_FA] = "days_fa",
	[F_REASON] = "reason",
};

int notify_hijri(int32_t day, int *year, int *month, int *mday)
{
	static const UChar utc[] = { 'U', 'T', 'C', 0 };
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *cal;
	const char *type;
	int y, ey, m, d, rc = 0;

	if (!year || !month || !mday)
		return -EINVAL;
	if (day < DAY_MIN || day > DAY_MAX)
		return -ERANGE;
	/* ICU's Persian calendar is arithmetic (the 33-year cycle); the
	 * locale's keyword selects it, and a missing calendar (no data) shows
	 * as another type rather than as an error: refuse that. Noon in UTC
	 * keeps the instant well inside the day whatever ICU rounds. */
	cal = ucal_open(utc, -1, "fa_IR@calendar=persian", UCAL_DEFAULT, &st);
	if (U_FAILURE(st) || !cal) {
		ucal_close(cal);
		return -EIO;
	}
	type = ucal_getType(cal, &st);
	if (U_FAILURE(st) || !type || strcmp(type, "persian")) {
		rc = -EIO;
		goto out;
	}
	ucal_setMillis(cal, (double)day * MS_PER_DAY + MS_NOON, &st);
	y = ucal_get(cal, UCAL_YEAR, &st);
	ey = ucal_get(cal, UCAL_EXTENDED_YEAR, &st);
	m = ucal_get(cal, UCAL_MONTH, &st) + 1;
	d = ucal_get(cal, UCAL_DATE, &st);
	if (U_FAILURE(st)) {
		rc = -EIO;
		goto out;
	}
	if (y < 1 || ey != y) {
		/* before 1 Farvardin 1 (622-03-21 in ICU's proleptic cycle),
		 * whether ICU counts those years down from 0 or in an era */
		rc = -ERANGE;
		goto out;
	}
	*year = y, *month = m, *mday = d;
out:
	ucal_close(cal);
	return rc;
}

/* The proleptic Gregorian date of a day number (spool.c's arithmetic). */
static void gregorian(int32_t day, int *year, int *month, int *mday)
{
	unsigned m, d;

	notify_day_civil(day, year, &m, &d);
	*month = (int)m;
	*mday = (int)d;
}

/* Length of the UTF-8 sequence at s (strict: shortest form, no
 * surrogates, at most U+10FFFF; the string ends at its NUL), 0 when it
 * is not one. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		cp = s[0] & 0x1F, n = 2;
	else if ((s[0] & 0xF0) == 0xE0)
		cp = s[0] & 0x0F, n = 3;
	else if ((s[0] & 0xF8) == 0xF0)
		cp = s[0] & 0x07, n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)	/* a NUL ends here too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	for (; *s; s += n)
		if (!(n = utf8_len(s)))
			return false;
	return true;
}

/* The output: what fits is written, the length counts everything, so
 * that the walk goes on to the end of the template (a syntax error after
 * the buffer is full is still -EINVAL, not -ENOSPC). */
struct sink {
	char *out;
	size_t outlen;
	size_t len;
};

static void put(struct sink *s, const char *p, size_t n)
{
	if (s->out && s->len < s->outlen && n < s->outlen - s->len)
		memcpy(s->out + s->len, p, n);
	else
		s->out = NULL;	/* full: nothing more is written */
	s->len = n > SIZE_MAX - s->len ? SIZE_MAX : s->len + n;
}

/* ASCII digits as they are, or as Extended Arabic-Indic (Persian)
 * digits U+06F0..U+06F9, two octets each: DB B0..DB B9. */
static void put_digits(struct sink *s, const char *ascii, bool persian)
{
	for (; *ascii; ascii++) {
		if (persian && *ascii >= '0' && *ascii <= '9') {
			char fa[2] = { (char)0xDB, (char)(0xB0 + (*ascii - '0')) };
			put(s, fa, 2);
		} else {
			put(s, ascii, 1);
		}
	}
}

/* The fields, as the walk needs them; the Solar Hijri date is looked up
 * once, when the template first asks for it. */
struct values {
	const struct template_fields *f;
	bool hijri_done;
	int hijri_rc, hy, hm, hd;
};

static int put_field(struct sink *s, struct values *v, enum field id)
{
	char buf[32];
	int y, m, d;

	switch (id) {
	case F_IMEI:
		put(s, v->f->imei, strlen(v->f->imei));
		return 0;
	case F_DATE:
		gregorian(v->f->cutoff_day, &y, &m, &d);
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
		put(s, buf, strlen(buf));
		return 0;
	case F_DATE_HIJRI:
	case F_DATE_HIJRI_LATIN:
		if (!v->hijri_done) {
			v->hijri_rc = notify_hijri(v->f->cutoff_day, &v->hy, &v->hm, &v->hd);
			v->hijri_done = true;
		}
		if (v->hijri_rc)
			return v->hijri_rc;
		snprintf(buf, sizeof(buf), "%04d/%02d/%02d", v->hy, v->hm, v->hd);
		put_digits(s, buf, id == F_DATE_HIJRI);
		return 0;
	case F_DAYS:
	case F_DAYS_FA:
		snprintf(buf, sizeof(buf), "%" PRId32, v->f->days);
		put_digits(s, buf, id == F_DAYS_FA);
		return 0;
	case F_REASON:
		put(s, v->f->reason, strlen(v->f->reason));
		return 0;
	case F_COUNT:
		break;
	}
	return -EINVAL;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int lookup(const char *name, size_t n)
{
	for (int i = 0; i < F_COUNT; i++)
		if (strlen(field_names[i]) == n && !memcmp(field_names[i], name, n))
			return i;
	return -1;
}

/* Characters (code points) before p, counted from 1 for the operator. */
static size_t char_pos(const char *tpl, const char *p)
{
	size_t pos = 1;

	for (const char *q = tpl; q < p; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			pos++;
	return pos;
}

/* Check (v == NULL) or render the template: 0, -EINVAL with err set for
 * the first syntax error, else the first field's error. */
static int walk(const char *tpl, struct values *v, struct sink *s, char *err, size_t errlen)
{
	const char *p = tpl, *lit = tpl;
	int rc = 0;

	if (!utf8_valid(tpl)) {
		const unsigned char *q = (const unsigned char *)tpl;
		size_t n;

		while ((n = utf8_len(q)))
			q += n;
		seterr(err, errlen, "not UTF-8 at character %zu", char_pos(tpl, (const char *)q));
		return -EINVAL;
	}
	while (*p) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			put(s, lit, (size_t)(p - lit) + 1);	/* up to one brace */
			p += 2, lit = p;
		} else if (*p == '}') {
			seterr(err, errlen, "a lone } at character %zu (}} is a literal brace)", char_pos(tpl, p));
			return -EINVAL;
		} else if (*p == '{') {
			const char *name = p + 1, *end = name + strcspn(name, "{}");
			int id;

			if (*end != '}') {
				seterr(err, errlen, "a { without its } at character %zu ({{ is a literal brace)",
				       char_pos(tpl, p));
				return -EINVAL;
			}
			if ((id = lookup(name, (size_t)(end - name))) < 0) {
				size_t n = (size_t)(end - name);
				const char *more = "";

				if (n > ERR_NAME_MAX) {
					/* cut at a character's first octet */
					for (n = ERR_NAME_MAX; ((unsigned char)name[n] & 0xC0) == 0x80; n--)
						;
					more = "...";
				}
				seterr(err, errlen, "unknown field {%.*s%s} at character %zu", (int)n, name, more,
				       char_pos(tpl, p));
				return -EINVAL;
			}
			put(s, lit, (size_t)(p - lit));
			if (v) {
				int r = put_field(s, v, (enum field)id);

				if (r && !rc)
					rc = r;
			}
			p = end + 1, lit = p;
		} else {
			p++;
		}
	}
	put(s, lit, (size_t)(p - lit));
	return rc;
}

int template_check(const char *tpl, char *err, size_t errlen)
{
	struct sink s = { NULL, 0, 0 };

	seterr(err, errlen, "%s", "");
	if (!tpl) {
		seterr(err, errlen, "no template");
		return -EINVAL;
	}
	return walk(tpl, NULL, &s, err, errlen);
}

/* The fields are checked whether the template uses them or not: a bad
 * one is the caller's bug, not the template's. */
static int fields_check(const struct template_fields *f)
{
	size_t n;

	if (!f->imei || !f->reason || !utf8_valid(f->reason))
		return -EINVAL;
	n = strlen(f->imei);
	if (n != 14 && n != 15)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (f->imei[i] < '0' || f->imei[i] > '9')
			return -EINVAL;
	if (f->cutoff_day < DAY_MIN || f->cutoff_day > DAY_MAX || f->days < 0)
		return -ERANGE;
	return 0;
}

int template_render(const char *tpl, const struct template_fields *f, char *out, size_t outlen)
{
	struct values v = { .f = f };
	struct sink s = { out, outlen, 0 };
	int rc;

	if (out && outlen)
		out[0] = '\0';
	/* The template's errors first, then the fields', then the room. */
	if (!tpl || !f || !out)
		return -EINVAL;
	if ((rc = template_check(tpl, NULL, 0)) || (rc = fields_check(f)))
		return rc;
	if ((rc = walk(tpl, &v, &s, NULL, 0)))
		goto fail;
	if (s.len >= outlen || s.len > INT_MAX) {
		rc = -ENOSPC;
		goto fail;
	}
	out[s.len] = '\0';
	return (int)s.len;
fail:
	if (outlen)
		out[0] = '\0';
	return rc;
}
