/* Unit tests of the SMS template: Solar Hijri dates known from the
 * equinox, the range of day numbers, every field, Persian digits, literal
 * braces, refused templates and fields, -ENOSPC at the exact boundary, and
 * a Persian template byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sms.h"
#include "template.h"

/* Extended Arabic-Indic (Persian) digits, U+06F0..U+06F9 in UTF-8. */
#define FA0 "\xdb\xb0"
#define FA1 "\xdb\xb1"
#define FA2 "\xdb\xb2"
#define FA3 "\xdb\xb3"
#define FA4 "\xdb\xb4"
#define FA5 "\xdb\xb5"
#define FA6 "\xdb\xb6"
#define FA7 "\xdb\xb7"
#define FA8 "\xdb\xb8"
#define FA9 "\xdb\xb9"

#define IMEI "356938035643809"

/* 2025-03-21, 1 Farvardin 1404. */
static const struct template_fields fields = {
	.imei = IMEI,
	.cutoff_day = 20168,
	.days = 30,
	.reason = "unregistered",
};

static void assert_hijri(int32_t day, int year, int month, int mday)
{
	int y = 0, m = 0, d = 0;

	assert_int_equal(notify_hijri(day, &y, &m, &d), 0);
	assert_int_equal(y, year);
	assert_int_equal(m, month);
	assert_int_equal(d, mday);
}

/* The official calendar starts the year on the day of the March equinox
 * when the equinox comes before noon in Tehran (12:00 IRST, UTC+3:30,
 * the 52.5E meridian), else on the day after. Each date below was
 * checked three ways: ICU, the equinox (Meeus, Astronomical Algorithms
 * ch. 27 with its table of periodic terms and ΔT, computed apart from
 * this code in Python; it gives the published equinox instants to the
 * minute), and the calendar as published (Nowruz in the press and the
 * calendars of the Iranian calendar centre). Day numbers are from
 * Python's datetime.date, days since 1970-01-01. */
static void test_hijri_known(void **state)
{
	(void)state;
	/* equinox 2020-03-20 03:50 UTC, 07:20 IRST: Nowruz 1399 that day */
	assert_hijri(18341, 1399, 1, 1);	/* 2020-03-20 */
	/* equinox 2021-03-20 09:37 UTC, 13:07 IRST: Nowruz 1400 the day
	 * after, so 1399 has 366 days and its Esfand 30 */
	assert_hijri(18706, 1399, 12, 30);	/* 2021-03-20 */
	assert_hijri(18707, 1400, 1, 1);	/* 2021-03-21 */
	/* equinox 2024-03-20 03:06 UTC, 06:36 IRST: Nowruz 1403 */
	assert_hijri(19801, 1402, 12, 29);	/* 2024-03-19, 1402 is common */
	assert_hijri(19802, 1403, 1, 1);	/* 2024-03-20 */
	/* equinox 2025-03-20 09:01 UTC, 12:31 IRST, after noon: Nowruz 1404
	 * on 03-21, and 1403 is a leap year ending on Esfand 30 */
	assert_hijri(20166, 1403, 12, 29);	/* 2025-03-19 */
	assert_hijri(20167, 1403, 12, 30);	/* 2025-03-20 */
	assert_hijri(20168, 1404, 1, 1);	/* 2025-03-21 */
	/* equinox 2026-03-20 14:46 UTC, 18:16 IRST: Nowruz 1405 on 03-21,
	 * 1404 common */
	assert_hijri(20532, 1404, 12, 29);	/* 2026-03-20 */
	assert_hijri(20533, 1405, 1, 1);	/* 2026-03-21 */
	/* Six months of 31 days, then 30: day 186 of the year is Mehr 1,
	 * day 276 is Dey 1. */
	assert_hijri(20718, 1405, 6, 31);	/* 2026-09-22 */
	assert_hijri(20719, 1405, 7, 1);	/* 2026-09-23 */
	assert_hijri(20809, 1405, 10, 1);	/* 2026-12-22 */
	/* The epoch, 11 Dey 1348, and the day before it. */
	assert_hijri(0, 1348, 10, 11);		/* 1970-01-01 */
	assert_hijri(-1, 1348, 10, 10);		/* 1969-12-31 */
	/* The last day of a signed 32-bit time_t: Dey has 30 days. */
	assert_hijri(24855, 1416, 10, 30);	/* 2038-01-19 */
}

/* The years' lengths over two centuries, day after day: every date
 * follows the one before it (months of 31, 31, 31, 31, 31, 31, 30, 30,
 * 30, 30, 30 and 29 or 30 days), and the leap years are the 33-year
 * cycle's, (25y + 11) mod 33 < 8, which in these years are also the
 * equinox's (checked as above for 1300..1500 AP). */
static void test_hijri_sequence(void **state)
{
	int y, m, d, py, pm, pd;
	int32_t from = -17818, to = 55596;	/* 1921-03-21 (1 Farvardin 1300) .. 2122-03-21 */

	(void)state;
	assert_int_equal(notify_hijri(from, &py, &pm, &pd), 0);
	assert_int_equal(py, 1300);
	assert_int_equal(pm, 1);
	assert_int_equal(pd, 1);
	for (int32_t day = from + 1; day <= to; day++) {
		int len;

		assert_int_equal(notify_hijri(day, &y, &m, &d), 0);
		len = pm <= 6 ? 31 : pm <= 11 ? 30 : (25 * py + 11) % 33 < 8 ? 30 : 29;
		if (pd < len) {
			assert_int_equal(y, py);
			assert_int_equal(m, pm);
			assert_int_equal(d, pd + 1);
		} else if (pm < 12) {
			assert_int_equal(y, py);
			assert_int_equal(m, pm + 1);
			assert_int_equal(d, 1);
		} else {
			assert_int_equal(y, py + 1);
			assert_int_equal(m, 1);
			assert_int_equal(d, 1);
		}
		py = y, pm = m, pd = d;
	}
	assert_int_equal(py, 1501);
}

static void test_hijri_range(void **state)
{
	int y, m, d;

	(void)state;
	/* 1 Farvardin 1 of ICU's cycle, 622-03-21 proleptic Gregorian (the
	 * arithmetic calendar's own epoch; no law fixed those years). */
	assert_hijri(-492268, 1, 1, 1);
	assert_int_equal(notify_hijri(-492269, &y, &m, &d), -ERANGE);
	assert_int_equal(notify_hijri(-719162, &y, &m, &d), -ERANGE);	/* 0001-01-01 */
	/* 9999-12-31, the last day with a four-digit Gregorian year */
	assert_hijri(2932896, 9378, 10, 10);
	assert_int_equal(notify_hijri(2932897, &y, &m, &d), -ERANGE);
	assert_int_equal(notify_hijri(INT32_MAX, &y, &m, &d), -ERANGE);
	assert_int_equal(notify_hijri(INT32_MIN, &y, &m, &d), -ERANGE);
	assert_int_equal(notify_hijri(0, NULL, &m, &d), -EINVAL);
	assert_int_equal(notify_hijri(0, &y, NULL, &d), -EINVAL);
	assert_int_equal(notify_hijri(0, &y, &m, NULL), -EINVAL);
}

static void assert_render(const char *tpl, const struct template_fields *f, const char *want)
{
	char out[512], err[128];

	assert_int_equal(template_check(tpl, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(template_render(tpl, f, out, sizeof(out)), (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_fields(void **state)
{
	(void)state;
	assert_render("{imei}", &fields, IMEI);
	assert_render("{date}", &fields, "2025-03-21");
	assert_render("{date_hijri}", &fields, FA1 FA4 FA0 FA4 "/" FA0 FA1 "/" FA0 FA1);
	assert_render("{date_hijri_latin}", &fields, "1404/01/01");
	assert_render("{days}", &fields, "30");
	assert_render("{days_fa}", &fields, FA3 FA0);
	assert_render("{reason}", &fields, "unregistered");
	assert_render("", &fields, "");
	assert_render("no field", &fields, "no field");
	assert_render("IMEI {imei}: {reason}, cut off on {date} ({date_hijri_latin}) in {days} days. {days}",
		      &fields,
		      "IMEI " IMEI ": unregistered, cut off on 2025-03-21 (1404/01/01) in 30 days. 30");
}

static void test_field_values(void **state)
{
	struct template_fields f = fields;

	(void)state;
	/* Every Persian digit, in order. */
	f.days = 1234567890;
	assert_render("{days_fa}", &f, FA1 FA2 FA3 FA4 FA5 FA6 FA7 FA8 FA9 FA0);
	assert_render("{days}", &f, "1234567890");
	f.days = 0;
	assert_render("{days} {days_fa}", &f, "0 " FA0);
	f.days = INT32_MAX;
	assert_render("{days}", &f, "2147483647");
	/* Dates: a leap Esfand 30, Dey 1, the epoch, the range's ends. */
	f.cutoff_day = 20167;
	assert_render("{date} {date_hijri_latin} {date_hijri}", &f,
		      "2025-03-20 1403/12/30 " FA1 FA4 FA0 FA3 "/" FA1 FA2 "/" FA3 FA0);
	f.cutoff_day = 20809;
	assert_render("{date} {date_hijri_latin}", &f, "2026-12-22 1405/10/01");
	f.cutoff_day = 0;
	assert_render("{date} {date_hijri_latin}", &f, "1970-01-01 1348/10/11");
	f.cutoff_day = -1;
	assert_render("{date} {date_hijri_latin}", &f, "1969-12-31 1348/10/10");
	f.cutoff_day = 11016;	/* a Gregorian leap day */
	assert_render("{date}", &f, "2000-02-29");
	f.cutoff_day = -492268;
	assert_render("{date} {date_hijri_latin}", &f, "0622-03-21 0001/01/01");
	f.cutoff_day = 2932896;
	assert_render("{date} {date_hijri_latin}", &f, "9999-12-31 9378/10/10");
	f.cutoff_day = -719162;
	assert_render("{date}", &f, "0001-01-01");
	/* A reason is copied, never read as template; a 14-digit IMEI. */
	f = fields;
	f.reason = "{date} }} {{";
	f.imei = "35693803564380";
	assert_render("{reason} {imei}", &f, "{date} }} {{ 35693803564380");
	f.reason = "";
	assert_render("[{reason}]", &f, "[]");
}

static void test_braces(void **state)
{
	(void)state;
	assert_render("{{", &fields, "{");
	assert_render("}}", &fields, "}");
	assert_render("{{imei}}", &fields, "{imei}");
	assert_render("{{{imei}}}", &fields, "{" IMEI "}");
	assert_render("}}{{", &fields, "}{");
	assert_render("a{{b}}c{days}d", &fields, "a{b}c30d");
	assert_render("{{}}", &fields, "{}");
}

/* Refused by template_check with the reason, and -EINVAL from
 * template_render whatever the room. */
static void assert_refused(const char *tpl, const char *why)
{
	char out[64], err[128];

	memset(err, 'x', sizeof(err));
	assert_int_equal(template_check(tpl, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, why);
	strcpy(out, "junk");
	assert_int_equal(template_render(tpl, &fields, out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(template_render(tpl, &fields, out, 1), -EINVAL);
	assert_int_equal(template_render(tpl, &fields, out, 0), -EINVAL);
}

static void test_refused(void **state)
{
	(void)state;
	assert_refused("{foo}", "unknown field {foo} at character 1");
	assert_refused("Hi {IMEI}", "unknown field {IMEI} at character 4");
	assert_refused("{ imei}", "unknown field { imei} at character 1");
	assert_refused("{}", "unknown field {} at character 1");
	assert_refused("{imei}{dat}", "unknown field {dat} at character 7");
	/* Positions count characters, not octets: "سلام " is five. */
	assert_refused("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 {\xd8\xb1\xd9\x88\xd8\xb2}",
		       "unknown field {\xd8\xb1\xd9\x88\xd8\xb2} at character 6");
	/* A long name is cut to 32 octets, at a character's start. */
	assert_refused("{abcdefghijklmnopqrstuvwxyz0123456789}",
		       "unknown field {abcdefghijklmnopqrstuvwxyz012345...} at character 1");
	assert_refused("{abcdefghijklmnopqrstuvwxyz01234\xd8\xb3}",
		       "unknown field {abcdefghijklmnopqrstuvwxyz01234...} at character 1");
	assert_refused("{imei", "a { without its } at character 1 ({{ is a literal brace)");
	assert_refused("days {days", "a { without its } at character 6 ({{ is a literal brace)");
	assert_refused("{da{days}", "a { without its } at character 1 ({{ is a literal brace)");
	assert_refused("{", "a { without its } at character 1 ({{ is a literal brace)");
	assert_refused("{{{", "a { without its } at character 3 ({{ is a literal brace)");
	assert_refused("imei}", "a lone } at character 5 (}} is a literal brace)");
	assert_refused("}", "a lone } at character 1 (}} is a literal brace)");
	assert_refused("{{{imei}}", "a lone } at character 9 (}} is a literal brace)");
	assert_refused("}}}", "a lone } at character 3 (}} is a literal brace)");
	/* Not UTF-8: a stray continuation, an overlong '/', a surrogate, a
	 * cut sequence, beyond U+10FFFF. */
	assert_refused("ab\x80", "not UTF-8 at character 3");
	assert_refused("\xc0\xaf", "not UTF-8 at character 1");
	assert_refused("\xed\xa0\x80", "not UTF-8 at character 1");
	assert_refused("\xd8\xb3\xd8", "not UTF-8 at character 2");
	assert_refused("\xf4\x90\x80\x80", "not UTF-8 at character 1");
	/* ... the first error only */
	assert_refused("{foo} }", "unknown field {foo} at character 1");
}

static void test_errors(void **state)
{
	char out[64], err[16];
	struct template_fields f;

	(void)state;
	/* The reason is cut to errlen, NUL-terminated; err may be NULL. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(template_check("{foo}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown field {");
	assert_int_equal(template_check("{foo}", err, 1), -EINVAL);
	assert_string_equal(err, "");
	assert_int_equal(template_check("{foo}", NULL, 0), -EINVAL);
	assert_int_equal(template_check("{imei}", NULL, 0), 0);
	assert_int_equal(template_check(NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(template_render(NULL, &fields, out, sizeof(out)), -EINVAL);
	assert_int_equal(template_render("x", NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(template_render("x", &fields, NULL, 10), -EINVAL);
	/* Fields unlike their description: refused whether used or not. */
	f = fields, f.imei = "3569380356438";
	assert_int_equal(template_render("x", &f, out, sizeof(out)), -EINVAL);
	f = fields, f.imei = "3569380356438090";
	assert_int_equal(template_render("x", &f, out, sizeof(out)), -EINVAL);
	f = fields, f.imei = "35693803564380a";
	assert_int_equal(template_render("{imei}", &f, out, sizeof(out)), -EINVAL);
	f = fields, f.imei = NULL;
	assert_int_equal(template_render("x", &f, out, sizeof(out)), -EINVAL);
	f = fields, f.reason = NULL;
	assert_int_equal(template_render("x", &f, out, sizeof(out)), -EINVAL);
	f = fields, f.reason = "bad \xff";
	assert_int_equal(template_render("{reason}", &f, out, sizeof(out)), -EINVAL);
	f = fields, f.days = -1;
	assert_int_equal(template_render("x", &f, out, sizeof(out)), -ERANGE);
	f = fields, f.cutoff_day = 2932897;
	assert_int_equal(template_render("x", &f, out, sizeof(out)), -ERANGE);
	f = fields, f.cutoff_day = -719163;
	assert_int_equal(template_render("{date}", &f, out, sizeof(out)), -ERANGE);
	/* Before 1 Farvardin 1: a Gregorian date, no Hijri one. */
	f = fields, f.cutoff_day = -492269;
	assert_int_equal(template_render("{date}", &f, out, sizeof(out)), 10);
	assert_string_equal(out, "0622-03-20");
	strcpy(out, "junk");
	assert_int_equal(template_render("{date} {date_hijri}", &f, out, sizeof(out)), -ERANGE);
	assert_string_equal(out, "");
	/* A bad template is -EINVAL before a bad field's -ERANGE. */
	f = fields, f.days = -1;
	assert_int_equal(template_render("{nope}", &f, out, sizeof(out)), -EINVAL);
}

/* -ENOSPC until the text and its NUL fit, and nothing written beyond
 * outlen. */
static void assert_boundary(const char *tpl, const char *want)
{
	size_t n = strlen(want);
	char out[256];

	for (size_t len = 0; len <= n + 1; len++) {
		memset(out, '#', sizeof(out));
		if (len <= n) {
			assert_int_equal(template_render(tpl, &fields, out, len), -ENOSPC);
			if (len)
				assert_int_equal(out[0], '\0');
		} else {
			assert_int_equal(template_render(tpl, &fields, out, len), (int)n);
			assert_memory_equal(out, want, n + 1);
		}
		for (size_t i = len; i < sizeof(out); i++)
			assert_int_equal(out[i], '#');
	}
}

static void test_nospc(void **state)
{
	char out[8];

	(void)state;
	assert_boundary("Hi {days}", "Hi 30");
	assert_boundary("{date_hijri}!", FA1 FA4 FA0 FA4 "/" FA0 FA1 "/" FA0 FA1 "!");
	assert_boundary("{{{imei}}} {reason}", "{" IMEI "} unregistered");
	assert_boundary("", "");
	/* The exact boundary: five octets and the NUL. */
	assert_int_equal(template_render("Hi {days}", &fields, out, 6), 5);
	assert_int_equal(template_render("Hi {days}", &fields, out, 5), -ENOSPC);
	/* A syntax error after the buffer is full is still -EINVAL. */
	assert_int_equal(template_render("{imei} {imei", &fields, out, sizeof(out)), -EINVAL);
}

/* An operator's Persian warning, rendered and compared octet for octet;
 * then read out as an SMS: UCS-2, the digits U+06F0.. as they are. */
static void test_persian(void **state)
{
	/* "کاربر گرامی، گوشی {imei} در سامانه همتا ثبت نشده است و {days_fa}
	 * روز دیگر، در تاریخ {date_hijri}، قطع می‌شود. علت: {reason}" */
	static const char tpl[] =
		"\xda\xa9\xd8\xa7\xd8\xb1\xd8\xa8\xd8\xb1 \xda\xaf\xd8\xb1\xd8\xa7\xd9\x85\xdb\x8c\xd8\x8c "
		"\xda\xaf\xd9\x88\xd8\xb4\xdb\x8c {imei} \xd8\xaf\xd8\xb1 "
		"\xd8\xb3\xd8\xa7\xd9\x85\xd8\xa7\xd9\x86\xd9\x87 \xd9\x87\xd9\x85\xd8\xaa\xd8\xa7 "
		"\xd8\xab\xd8\xa8\xd8\xaa \xd9\x86\xd8\xb4\xd8\xaf\xd9\x87 \xd8\xa7\xd8\xb3\xd8\xaa "
		"\xd9\x88 {days_fa} \xd8\xb1\xd9\x88\xd8\xb2 \xd8\xaf\xdb\x8c\xda\xaf\xd8\xb1\xd8\x8c "
		"\xd8\xaf\xd8\xb1 \xd8\xaa\xd8\xa7\xd8\xb1\xdb\x8c\xd8\xae {date_hijri}\xd8\x8c "
		"\xd9\x82\xd8\xb7\xd8\xb9 \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xb4\xd9\x88\xd8\xaf. "
		"\xd8\xb9\xd9\x84\xd8\xaa: {reason}";
	static const char want[] =
		"\xda\xa9\xd8\xa7\xd8\xb1\xd8\xa8\xd8\xb1 \xda\xaf\xd8\xb1\xd8\xa7\xd9\x85\xdb\x8c\xd8\x8c "
		"\xda\xaf\xd9\x88\xd8\xb4\xdb\x8c 356938035643809 \xd8\xaf\xd8\xb1 "
		"\xd8\xb3\xd8\xa7\xd9\x85\xd8\xa7\xd9\x86\xd9\x87 \xd9\x87\xd9\x85\xd8\xaa\xd8\xa7 "
		"\xd8\xab\xd8\xa8\xd8\xaa \xd9\x86\xd8\xb4\xd8\xaf\xd9\x87 \xd8\xa7\xd8\xb3\xd8\xaa "
		"\xd9\x88 \xdb\xb3\xdb\xb0 \xd8\xb1\xd9\x88\xd8\xb2 \xd8\xaf\xdb\x8c\xda\xaf\xd8\xb1\xd8\x8c "
		"\xd8\xaf\xd8\xb1 \xd8\xaa\xd8\xa7\xd8\xb1\xdb\x8c\xd8\xae "
		"\xdb\xb1\xdb\xb4\xdb\xb0\xdb\xb4/\xdb\xb0\xdb\xb1/\xdb\xb0\xdb\xb1\xd8\x8c "
		"\xd9\x82\xd8\xb7\xd8\xb9 \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xb4\xd9\x88\xd8\xaf. "
		"\xd8\xb9\xd9\x84\xd8\xaa: \xd8\xab\xd8\xa8\xd8\xaa \xd9\x86\xd8\xb4\xd8\xaf\xd9\x87";
	/* the reason: "ثبت نشده" */
	struct template_fields f = fields;
	struct sms_text t;
	char out[512];
	const uint16_t date[] = { 0x06F1, 0x06F4, 0x06F0, 0x06F4, '/', 0x06F0, 0x06F1, '/', 0x06F0, 0x06F1 };
	size_t i;

	(void)state;
	f.reason = "\xd8\xab\xd8\xa8\xd8\xaa \xd9\x86\xd8\xb4\xd8\xaf\xd9\x87";
	assert_int_equal(template_check(tpl, NULL, 0), 0);
	assert_int_equal(template_render(tpl, &f, out, sizeof(out)), (int)sizeof(want) - 1);
	assert_memory_equal(out, want, sizeof(want));
	/* exactly the octets and the NUL, then one short */
	assert_int_equal(template_render(tpl, &f, out, sizeof(want)), (int)sizeof(want) - 1);
	assert_int_equal(template_render(tpl, &f, out, sizeof(want) - 1), -ENOSPC);

	assert_int_equal(template_render(tpl, &f, out, sizeof(out)), (int)sizeof(want) - 1);
	assert_int_equal(sms_text_from_utf8(out, strlen(out), &t), 0);
	assert_int_equal(t.coding, SMS_UCS2);
	for (i = 0; i + 10 <= t.n; i++)
		if (!memcmp(&t.u[i], date, sizeof(date)))
			break;
	assert_true(i + 10 <= t.n);
	sms_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hijri_known),
		cmocka_unit_test(test_hijri_sequence),
		cmocka_unit_test(test_hijri_range),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_braces),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nospc),
		cmocka_unit_test(test_persian),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
