/* The text of a warning SMS from the operator's template (docs/notify.md):
 * fields in braces replaced, the cut-off date in the Gregorian and in the
 * Solar Hijri (Persian) calendar. Pure: no I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A Solar Hijri date from a day number (days since 1970-01-01, the
 * proleptic Gregorian calendar): 0, or -EINVAL/-ERANGE. */
int notify_hijri(int32_t day, int *year, int *month, int *mday);

struct template_fields {
	const char *imei;	/* 14 or 15 digits */
	int32_t cutoff_day;	/* days since 1970-01-01 */
	int32_t days;		/* days left */
	const char *reason;	/* may be "" */
};

/* Check a template (UTF-8): every {field} known, braces balanced ("{{"
 * and "}}" are literal braces). 0, or -EINVAL with the reason (and the
 * offending field) in err. */
int template_check(const char *tpl, char *err, size_t errlen);

/* Render: the length written (without NUL), or -ENOSPC / -EINVAL.
 * Fields:
 *   {imei}               the IMEI as given
 *   {date}               cut-off date, Gregorian, YYYY-MM-DD
 *   {date_hijri}         cut-off date, Solar Hijri, YYYY/MM/DD in Persian digits
 *   {date_hijri_latin}   the same in ASCII digits
 *   {days}               days left, ASCII digits
 *   {days_fa}            days left, Persian digits
 *   {reason}             the reason */
int template_render(const char *tpl, const struct template_fields *f, char *out, size_t outlen);
