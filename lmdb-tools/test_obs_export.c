/* Unit tests of the observed exports (obs_export.h): window times and
 * offsets, DIRBS names, the rows of each format for pairs at the edges
 * (no IMSI, short IMSIs, long MSISDNs, times DIRBS refuses, values out of
 * range), every DIRBS field checked against the rules of DIRBS-Core's
 * operator schema, and the atomic output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "obs_export.h"
#include "observed.h"
#include "policy.h"
#include "record.h"
#include "testutil.h"

#define T0 1767225600U		/* 2026-01-01T00:00:00Z */
#define DAY 86400U

static void test_tz_and_times(void **state)
{
	uint32_t t;

	/* The offsets themselves are the policy's (eir_tz_parse, unit.policy). */
	/* A date is the whole day at the offset; a time is UTC, offset or not. */
	assert_int_equal(obs_time_parse("2026-01-01", 0, false, &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(obs_time_parse("2026-01-01", 0, true, &t), 0);
	assert_int_equal(t, T0 + DAY - 1);
	assert_int_equal(obs_time_parse("2026-01-01", 12600, false, &t), 0);
	assert_int_equal(t, T0 - 12600);
	assert_int_equal(obs_time_parse("2026-01-01", -18000, true, &t), 0);
	assert_int_equal(t, T0 + 18000 + DAY - 1);
	assert_int_equal(obs_time_parse("2026-01-01T10:00:00Z", 12600, true, &t), 0);
	assert_int_equal(t, T0 + 36000);
	assert_int_equal(obs_time_parse("1970-01-01", 3600, false, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(obs_time_parse("2106-02-08", 0, false, &t), -EINVAL);
	assert_int_equal(obs_time_parse("2026-02-29", 0, false, &t), -EINVAL);
	assert_int_equal(obs_time_parse("2026-01-01T10:00:00", 0, false, &t), -EINVAL);
	assert_int_equal(obs_time_parse("26-01-01", 0, false, &t), -EINVAL);

	char day[9];
	obs_day_format(T0 - 1, 0, day);
	assert_string_equal(day, "20251231");
	obs_day_format(T0 - 1, 1, day);
	assert_string_equal(day, "20260101");
	obs_day_format(T0, -1, day);
	assert_string_equal(day, "20251231");
}

static void test_dirbs_names(void **state)
{
	struct obs_export_opts o = { .format = OBS_EXPORT_DIRBS, .since = T0, .until = T0 + 3 * DAY - 1 };
	char why[256];

	assert_int_equal(obs_dirbs_name_check("/srv/op1_20260101_20260103.zip", &o, why, sizeof(why)), 0);
	assert_int_equal(obs_dirbs_name_check("my_op_20260101_20260103.zip", &o, why, sizeof(why)), 0);
	assert_int_equal(obs_dirbs_name_check("op1_20260101_20260104.zip", &o, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "op1_20260101_20260103.zip"));
	assert_int_equal(obs_dirbs_name_check("_20260101_20260103.zip", &o, why, sizeof(why)), -EINVAL);
	assert_int_equal(obs_dirbs_name_check("op1-20260101-20260103.zip", &o, why, sizeof(why)), -EINVAL);
	assert_int_equal(obs_dirbs_name_check("op1_2026010x_20260103.zip", &o, why, sizeof(why)), -EINVAL);
	assert_int_equal(obs_dirbs_name_check("a_long_operator_name_20260101_20260103.zip", &o, why, sizeof(why)), 0);
	/* The days are the offset's: 2026-01-01 at UTC+03:30 begins on 2025-12-31 in UTC. */
	o.tz = 12600;
	o.since = T0 - 12600;
	o.until = T0 - 12600 + DAY - 1;
	assert_int_equal(obs_dirbs_name_check("op1_20260101_20260101.zip", &o, why, sizeof(why)), 0);
}

/* The rules of DIRBS-Core's etc/schema/OperatorImportSchema_v2.csvs, in C. */
static bool all_digits(const char *s, size_t lo, size_t hi)
{
	size_t n = strlen(s);

	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Codes 001-007 or 101-105, joined by '|'; or empty. */
static bool dirbs_rat_ok(const char *s)
{
	if (!*s)
		return true;
	for (;;) {
		char code[4] = { 0 };
		int v;

		if (strlen(s) < 3)
			return false;
		memcpy(code, s, 3);
		if (!all_digits(code, 3, 3))
			return false;
		v = atoi(code);
		if (!((v >= 1 && v <= 7) || (v >= 101 && v <= 105)))
			return false;
		s += 3;
		if (!*s)
			return true;
		if (*s++ != '|')
			return false;
	}
}

/* One row: five fields, each as the schema allows (and clean). */
static void check_dirbs_row(char *line)
{
	char *f[6] = { 0 }, *rest = line;
	int n = 0, mo, d;

	while (rest && n < 6)
		f[n++] = strsep(&rest, ",");
	assert_int_equal(n, 5);
	assert_true(all_digits(f[0], 8, 8));
	assert_memory_equal(f[0], "20", 2);
	mo = (f[0][4] - '0') * 10 + (f[0][5] - '0');
	d = (f[0][6] - '0') * 10 + (f[0][7] - '0');
	assert_true(mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
	assert_true(all_digits(f[1], 14, 14));		/* clean: exactly 14 */
	assert_true(!*f[2] || all_digits(f[2], 1, 15));
	assert_true(!*f[3] || all_digits(f[3], 1, 15));
	assert_true(dirbs_rat_ok(f[4]));
}

static char *export_text(struct eir_obs_db *db, struct obs_export_opts *o, struct obs_export_counts *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(eir_obs_begin(db), 0);
	assert_int_equal(obs_export(db, o, f, c), 0);
	fclose(f);
	return buf;
}

static struct eir_obs pair(uint64_t imei, const char *imsi, uint32_t first, uint32_t last, uint8_t iface)
{
	struct eir_obs o = { .imei = imei, .first_seen = first, .last_seen = last, .count = 1,
			     .verdict = EIR_WHITELISTED, .would = EIR_WHITELISTED, .branch = EIR_BR_ACTIVE,
			     .iface = iface, .svn = 0xff };

	if (imsi)
		assert_int_equal(eir_imsi_parse(imsi, strlen(imsi), &o.imsi), 0);
	return o;
}

static void test_rows(void **state)
{
	char *dir = tmpdir_new(), err[256];
	struct eir_obs_db *db;
	struct eir_obs b[] = {
		/* 1: S13, two days in the window, a 15-digit MSISDN */
		pair(35209900176148ULL, "432110000000001", T0 + 3600, T0 + DAY + 60, EIR_OBS_IF_S13),
		/* 2: MAP without IMSI beside a pair with one: no row */
		pair(35209900176149ULL, NULL, T0 + 100, T0 + 200, EIR_OBS_IF_MAP),
		pair(35209900176149ULL, "001010123456", T0 + 100, T0 + 200, EIR_OBS_IF_MAP),
		/* 3: alone without IMSI: a row with an empty IMSI */
		pair(35209900176150ULL, NULL, T0 + 300, T0 + 300, EIR_OBS_IF_MAP),
		/* 4: N5g, a 6-digit IMSI */
		pair(35209900176151ULL, "001010", T0 + 400, T0 + 400, EIR_OBS_IF_N5G),
		/* 5: spans the window: no known sighting in it */
		pair(35209900176152ULL, "432110000000005", T0 - 5 * DAY, T0 + 9 * DAY, EIR_OBS_IF_S13),
		/* 6: no interface recorded, out-of-range values */
		pair(35209900176153ULL, "432110000000006", T0 + 500, T0 + 500, EIR_OBS_IF_NONE),
		pair(35209900176154ULL, "432110000000007", T0 + 600, T0 + 600, 9),
		/* 7: before 2000 and after 2099: DIRBS refuses those days */
		pair(35209900176155ULL, "432110000000008", 100, 4102444800U + 10, EIR_OBS_IF_S13),
		/* 8: outside the window */
		pair(35209900176156ULL, "432110000000009", T0 - 3 * DAY, T0 - 2 * DAY, EIR_OBS_IF_S13),
		/* 9: first seen at the epoch; more than a day ahead of the clock */
		pair(35209900176157ULL, "432110000000010", 0, 0, EIR_OBS_IF_S13),
		pair(35209900176158ULL, "432110000000011", (uint32_t)time(NULL) + 2 * DAY,
		     (uint32_t)time(NULL) + 2 * DAY, EIR_OBS_IF_S13),
	};
	struct obs_export_counts c;
	struct obs_export_opts o = { .format = OBS_EXPORT_DIRBS, .since = T0, .until = T0 + 3 * DAY - 1 };
	char *text, *line, *save;

	assert_int_equal(eir_imsi_parse("989120000000001", 15, &b[0].msisdn), 0);
	b[7].verdict = 17;
	b[7].branch = 200;
	assert_int_equal(eir_obs_open(&db, dir, true, 16ULL << 20, err, sizeof(err)), 0);
	assert_int_equal(eir_obs_merge(db, b, sizeof(b) / sizeof(b[0]), NULL), 0);

	text = export_text(db, &o, &c);
	assert_string_equal(text,
		"date,imei,imsi,msisdn,rat\n"
		"20260101,35209900176148,432110000000001,989120000000001,006\n"
		"20260102,35209900176148,432110000000001,989120000000001,006\n"
		"20260101,35209900176149,001010123456,,002\n"
		"20260101,35209900176150,,,002\n"
		"20260101,35209900176151,001010,,006\n"
		"20260101,35209900176153,432110000000006,,\n"
		"20260101,35209900176154,432110000000007,,\n");
	assert_int_equal(c.rows, 7);
	assert_int_equal(c.spanning, 2);	/* 5, and 7 */
	assert_int_equal(c.imsi_less, 1);
	assert_int_equal(c.null_imsi, 1);
	assert_int_equal(c.null_msisdn, 5);
	assert_int_equal(c.null_rat, 2);
	for (line = strtok_r(text, "\n", &save), line = strtok_r(NULL, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		check_dirbs_row(line);
	free(text);

	/* The whole time: pair 7's two days and 9's one are outside 2000-2099. */
	o.since = 0;
	o.until = UINT32_MAX;
	text = export_text(db, &o, &c);
	assert_int_equal(c.bad_date, 3);
	assert_null(strstr(text, "35209900176155"));
	for (line = strtok_r(text, "\n", &save), line = strtok_r(NULL, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		check_dirbs_row(line);
	free(text);

	/* The day of a row is the offset's: 2026-01-01T01:00Z is still
	 * 2025-12-31 at UTC-05:00. */
	o = (struct obs_export_opts){ .format = OBS_EXPORT_DIRBS, .since = T0 + 3600, .until = T0 + 3600, .tz = -18000 };
	text = export_text(db, &o, &c);
	assert_string_equal(text, "date,imei,imsi,msisdn,rat\n"
			    "20251231,35209900176148,432110000000001,989120000000001,006\n");
	free(text);

	/* Our CSV: every pair overlapping the window, names for the codes. */
	o = (struct obs_export_opts){ .format = OBS_EXPORT_CSV, .since = T0 + 500, .until = T0 + 600 };
	text = export_text(db, &o, &c);
	assert_string_equal(text,
		"imei,imsi,msisdn,first_seen,last_seen,count,interface,rat,verdict,would,branch\n"
		"35209900176152,432110000000005,,2025-12-27T00:00:00Z,2026-01-10T00:00:00Z,1,s13,eutran,whitelisted,whitelisted,active\n"
		"35209900176153,432110000000006,,2026-01-01T00:08:20Z,2026-01-01T00:08:20Z,1,,,whitelisted,whitelisted,active\n"
		"35209900176154,432110000000007,,2026-01-01T00:10:00Z,2026-01-01T00:10:00Z,1,,,invalid,whitelisted,invalid\n"
		"35209900176155,432110000000008,,1970-01-01T00:01:40Z,2100-01-01T00:00:10Z,1,s13,eutran,whitelisted,whitelisted,active\n");
	assert_int_equal(c.rows, 4);
	free(text);

	/* First sightings: midnight written in full, the trailer. */
	o = (struct obs_export_opts){ .format = OBS_EXPORT_FIRST_SEEN, .since = T0 + 300, .until = T0 + 400 };
	text = export_text(db, &o, &c);
	assert_string_equal(text, "imei,first_seen\n"
			    "35209900176150,2026-01-01T00:05:00Z\n"
			    "35209900176151,2026-01-01T00:06:40Z\n"
			    "35209900176152,2025-12-27T00:00:00Z\n"
			    "35209900176155,1970-01-01T00:01:40Z\n"
			    "# end rows=4\n");
	assert_int_equal(c.bad_time, 0);
	free(text);
	/* What eir-sync would refuse the file for stays out. */
	o = (struct obs_export_opts){ .format = OBS_EXPORT_FIRST_SEEN, .since = 0, .until = UINT32_MAX };
	text = export_text(db, &o, &c);
	assert_null(strstr(text, "35209900176157"));
	assert_null(strstr(text, "35209900176158"));
	assert_int_equal(c.bad_time, 2);
	assert_int_equal(c.rows, 9);
	assert_non_null(strstr(text, "# end rows=9\n"));
	free(text);
	eir_obs_close(db);
	tmpdir_free(dir);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);

	if (f) {
		fread(buf, 1, 4095, f);
		fclose(f);
	}
	return buf;
}

static int count_entries(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void test_output_atomic(void **state)
{
	char *dir = tmpdir_new(), path[512], err[256];
	struct obs_output out;
	FILE *f;

	snprintf(path, sizeof(path), "%s/out.csv", dir);
	f = fopen(path, "w");
	fputs("old\n", f);
	fclose(f);
	/* Aborted: the old file, nothing beside it. */
	assert_int_equal(obs_output_open(&out, path, err, sizeof(err)), 0);
	fputs("half", out.f);
	assert_int_equal(count_entries(dir), 2);
	obs_output_abort(&out);
	char *s = slurp(path);
	assert_string_equal(s, "old\n");
	free(s);
	assert_int_equal(count_entries(dir), 1);
	/* Committed: the new content whole. */
	assert_int_equal(obs_output_open(&out, path, err, sizeof(err)), 0);
	fputs("new\n", out.f);
	assert_int_equal(obs_output_commit(&out, err, sizeof(err)), 0);
	s = slurp(path);
	assert_string_equal(s, "new\n");
	free(s);
	assert_int_equal(count_entries(dir), 1);
	/* A zip holds one member named after it. */
	snprintf(path, sizeof(path), "%s/op_20260101_20260101.zip", dir);
	assert_int_equal(obs_output_open(&out, path, err, sizeof(err)), 0);
	assert_true(out.zip);
	fputs("date,imei,imsi,msisdn,rat\n", out.f);
	assert_int_equal(obs_output_commit(&out, err, sizeof(err)), 0);
	assert_int_equal(count_entries(dir), 2);
	s = slurp(path);
	assert_memory_equal(s, "PK\x03\x04", 4);
	assert_non_null(memmem(s, 200, "op_20260101_20260101.csv", 24));
	free(s);
	/* A directory that is not there. */
	snprintf(path, sizeof(path), "%s/none/x.csv", dir);
	assert_int_equal(obs_output_open(&out, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "x.csv"));
	tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz_and_times),
		cmocka_unit_test(test_dirbs_names),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_output_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
