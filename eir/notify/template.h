/* The text of a warning SMS from the operator's template (docs/notify.md):
 * fields in braces replaced, the cut-off date in the Gregorian and in the
 * Solar Hijri (Persian) calendar. Pure: no I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A Solar Hijri date from a day number (days since 1970-01-01, the
 * proleptic Gregorian calendar), month and mday from 1, by ICU's Persian
 * calendar. That is the 33-year arithmetic cycle: it gives the official
 * (astronomical) calendar's Nowruz in every year from 1304 AP (the law of
 * 1925) to 1634 AP (2255), and may be a day off from 1635 AP on.
 * 0, or -EINVAL (a NULL pointer), -ERANGE (a day outside
 * 0001-01-01..9999-12-31, or before 1 Farvardin 1), -EIO (ICU has no
 * Persian calendar). */
int notify_hijri(int32_t day, int *year, int *month, int *mday);

struct template_fields {
	const char *imei;	/* 14 or 15 digits */
	int32_t cutoff_day;	/* days since 1970-01-01 */
	int32_t days;		/* days left */
	const char *reason;	/* may be "" */
};

/* Check a template (UTF-8): every {field} known, braces balanced ("{{"
 * and "}}" are literal braces). 0, or -EINVAL with the reason (and the
 * offending field, and its character position from 1) in err, a
 * NUL-terminated line cut to errlen (err may be NULL). */
int template_check(const char *tpl, char *err, size_t errlen);

/* Render: the length written (without NUL), or -ENOSPC / -EINVAL.
 * -EINVAL for every template that template_check refuses, and for fields
 * unlike the struct's comments (a NULL, an IMEI not of 14 or 15 digits, a
 * reason not UTF-8); -ERANGE for a negative days or a cut-off day outside
 * 0001-01-01..9999-12-31, or outside notify_hijri's range when a Hijri
 * field is used; -EIO as notify_hijri. The fields are checked whether
 * the template uses them or not. -ENOSPC unless the text and its NUL fit
 * in outlen; nothing is ever written beyond out[outlen - 1], and on any
 * error out is "" (when outlen > 0). Field values are copied as they are,
 * never read as template. The output is UTF-8.
 * Fields:
 *   {imei}               the IMEI as given
 *   {date}               cut-off date, Gregorian, YYYY-MM-DD
 *   {date_hijri}         cut-off date, Solar Hijri, YYYY/MM/DD in Persian digits
 *   {date_hijri_latin}   the same in ASCII digits
 *   {days}               days left, ASCII digits
 *   {days_fa}            days left, Persian digits
 *   {reason}             the reason */
int template_render(const char *tpl, const struct template_fields *f, char *out, size_t outlen);
