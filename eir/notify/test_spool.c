/* The notification spool: day numbers, event lines both ways, files
 * written whole and read back in order, bad lines reported and skipped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

static struct notify_event sample(void)
{
	struct notify_event e = {
		.kind = NOTIFY_REMINDER, .cutoff_day = 20819, .grace_end = 20819LL * 86400 - 12600,
		.days = 7, .t = 1798000000,
	};
	strcpy(e.imei, "35693803564380");
	strcpy(e.imsi, "432113999999999");
	strcpy(e.msisdn, "989121234567");
	strcpy(e.reason, "unknown-imei");
	strcpy(e.source, "eird");
	strcpy(e.iface, "s13");
	strcpy(e.node, "eir-1");
	return e;
}

static void test_days(void **state)
{
	char s[11];
	int32_t d;

	(void)state;
	notify_day_format(0, s);
	assert_string_equal(s, "1970-01-01");
	assert_int_equal(notify_day_parse("2026-12-31", &d), 0);
	assert_int_equal(d, 20818);	/* 2027-01-01 is 1798761600 / 86400 = 20819 */
	notify_day_format(20819, s);
	assert_string_equal(s, "2027-01-01");
	assert_int_equal(notify_day_parse("20240229", &d), 0);
	notify_day_format(d, s);
	assert_string_equal(s, "2024-02-29");
	assert_int_equal(notify_day_parse("20230229", &d), -EINVAL);
	assert_int_equal(notify_day_parse("2000-02-29", &d), 0);	/* 400-year leap */
	assert_int_equal(notify_day_parse("2100-02-29", &d), -EINVAL);
	assert_int_equal(notify_day_parse("2026-13-01", &d), -EINVAL);
	assert_int_equal(notify_day_parse("2026-1-01", &d), -EINVAL);
	assert_int_equal(notify_day_parse("1969-12-31", &d), -EINVAL);
	assert_int_equal(notify_day_parse("", &d), -EINVAL);
	/* every day of 1970..2200 round-trips */
	for (int32_t i = 0; i < 84000; i++) {
		int32_t back;

		notify_day_format(i, s);
		assert_int_equal(notify_day_parse(s, &back), 0);
		assert_int_equal(back, i);
	}
}

static void test_kinds(void **state)
{
	enum notify_kind k;

	(void)state;
	assert_int_equal(notify_kind_parse("cut-off", &k), 0);
	assert_int_equal(k, NOTIFY_CUTOFF);
	assert_string_equal(notify_kind_name(NOTIFY_GRACE), "grace");
	assert_int_equal(notify_kind_parse("cutoff", &k), -EINVAL);
}

static void test_line_roundtrip(void **state)
{
	struct notify_event e = sample(), back;
	char buf[NOTIFY_LINE_MAX], err[200];
	int n;

	(void)state;
	n = notify_event_format(&e, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"kind\":\"reminder\""));
	assert_non_null(strstr(buf, "\"cutoff\":\"2027-01-01\""));
	assert_null(strchr(buf, '\n'));
	assert_int_equal(notify_event_parse(buf, (size_t)n, &back, err, sizeof(err)), 0);
	assert_memory_equal(&e, &back, sizeof(e));
	/* too small a buffer */
	assert_int_equal(notify_event_format(&e, buf, 20), -ENOSPC);
	/* a reason that is not UTF-8 cannot be written */
	strcpy(e.reason, "\xff\xfe");
	assert_int_equal(notify_event_format(&e, buf, sizeof(buf)), -EINVAL);
}

static void refused(const char *line, const char *why)
{
	struct notify_event e;
	char err[200] = "";

	assert_int_equal(notify_event_parse(line, strlen(line), &e, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s': '%s' does not say '%s'", line, err, why);
}

#define OK_TAIL "\"cutoff_day\":20819,\"grace_end\":1798748000,\"days\":3,\"t\":1798000000"

static void test_line_refused(void **state)
{
	struct notify_event e;
	char err[200];
	const char *ok = "{\"v\":1,\"kind\":\"grace\",\"imei\":\"35693803564380\"," OK_TAIL "}";

	(void)state;
	assert_int_equal(notify_event_parse(ok, strlen(ok), &e, err, sizeof(err)), 0);
	assert_string_equal(e.imsi, "");
	assert_string_equal(e.msisdn, "");
	refused("{\"v\":2,\"kind\":\"grace\",\"imei\":\"35693803564380\"," OK_TAIL "}", "\"v\"");
	refused("{\"v\":1,\"kind\":\"warn\",\"imei\":\"35693803564380\"," OK_TAIL "}", "kind");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"3569380356438\"," OK_TAIL "}", "imei");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"3569380356438x\"," OK_TAIL "}", "digits");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"35693803564380\",\"imsi\":\"12\"," OK_TAIL "}", "imsi");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"35693803564380\",\"msisdn\":5," OK_TAIL "}", "msisdn");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"35693803564380\",\"cutoff\":\"2027-01-02\"," OK_TAIL "}",
		"cutoff");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"35693803564380\",\"days\":-1,"
		"\"cutoff_day\":1,\"grace_end\":1,\"t\":1}", "days");
	refused("{\"v\":1,\"kind\":\"grace\",\"imei\":\"35693803564380\",\"grace_end\":1,\"days\":1,\"t\":1}",
		"cutoff_day");
	refused("{\"v\":1,\"v\":1}", "JSON");
	refused("[1]", "object");
	refused("{\"v\":1", "JSON");
}

static char dir[64];

static int count_files(void *ctx, const char *path)
{
	char **seen = ctx;

	for (int i = 0; i < 8; i++) {
		if (!seen[i]) {
			seen[i] = strdup(path);
			return 0;
		}
	}
	return 1;
}

struct readctx {
	unsigned events, bad, last_bad_line;
	struct notify_event first;
};

static int on_event(void *ctx, const struct notify_event *e, unsigned line)
{
	struct readctx *r = ctx;

	(void)line;
	if (!r->events++)
		r->first = *e;
	return 0;
}

static void on_bad(void *ctx, unsigned line, const char *why)
{
	struct readctx *r = ctx;

	(void)why;
	r->bad++;
	r->last_bad_line = line;
}

static void test_files(void **state)
{
	struct notify_event ev[3] = { sample(), sample(), sample() };
	char name[160], err[300], path[300], *seen[8] = { 0 };
	struct readctx r = { 0 };
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-spool-XXXXXX");
	assert_non_null(mkdtemp(dir));
	ev[1].kind = NOTIFY_GRACE;
	ev[2].kind = NOTIFY_CUTOFF;
	/* a missing spool is empty */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(notify_spool_list(path, 0, count_files, seen, err, sizeof(err)), 0);
	assert_null(seen[0]);
	assert_int_equal(notify_spool_write(dir, "bad/node", ev, 3, NULL, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(notify_spool_write(dir, "eir-1", ev, 3, name, sizeof(name), err, sizeof(err)), 0);
	assert_true(strncmp(name, "eir-1-", 6) == 0);
	/* a subdirectory per node, a hidden file and another name are skipped or taken as they should */
	snprintf(path, sizeof(path), "%s/node2", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(notify_spool_write(path, "eir-2", ev, 1, NULL, 0, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/.half.jsonl", dir);
	f = fopen(path, "w");
	fputs("{", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/readme.txt", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(notify_spool_list(dir, 0, count_files, seen, err, sizeof(err)), 0);
	assert_non_null(seen[0]);
	assert_non_null(seen[1]);
	assert_null(seen[2]);
	assert_non_null(strstr(seen[0], "/eir-1-"));	/* name order: "eir-1-..." < "node2/..." */
	assert_non_null(strstr(seen[1], "/node2/eir-2-"));
	assert_int_equal(notify_spool_read(seen[0], on_event, on_bad, &r, err, sizeof(err)), 0);
	assert_int_equal(r.events, 3);
	assert_int_equal(r.bad, 0);
	assert_memory_equal(&r.first, &ev[0], sizeof(ev[0]));
	/* bad lines are reported with their number, the rest is read: an
	 * over-long line, garbage, an empty line, a good one without a newline */
	f = fopen(seen[1], "a");
	for (int i = 0; i < 2000; i++)
		fputc('x', f);
	fputs("\nnot json\n\n", f);
	{
		char line[NOTIFY_LINE_MAX];
		notify_event_format(&ev[2], line, sizeof(line));
		fputs(line, f);
	}
	fclose(f);
	memset(&r, 0, sizeof(r));
	assert_int_equal(notify_spool_read(seen[1], on_event, on_bad, &r, err, sizeof(err)), 0);
	assert_int_equal(r.events, 2);
	assert_int_equal(r.bad, 2);
	assert_int_equal(r.last_bad_line, 3);
	assert_int_equal(notify_spool_list(dir, 1, count_files, seen + 2, err, sizeof(err)), 0);
	assert_non_null(seen[2]);
	assert_null(seen[3]);
	for (int i = 0; i < 8; i++)
		free(seen[i]);
	assert_int_equal(notify_spool_read("/nonexistent/x.jsonl", on_event, on_bad, &r, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.jsonl"));
	{
		char cmd[100];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_line_roundtrip),
		cmocka_unit_test(test_line_refused),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
