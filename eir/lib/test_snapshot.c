/* Unit tests: the native snapshot parser, every error kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "snapshot.h"

#define FULL_HDR "# eir-snapshot version=1 kind=full seq=42 source=hamta created=2026-11-25T10:00:00Z"
#define DELTA_HDR "# eir-snapshot version=1 kind=delta seq=43 base=42 source=hamta created=2026-11-25"

static struct eir_snap_parser p;
static struct eir_snap_row row;
static char err[256];

static int line(const char *l)
{
	err[0] = '\0';
	return eir_snap_parse_line(&p, l, strlen(l), &row, err, sizeof(err));
}

static void start_full(void)
{
	eir_snap_init(&p);
	assert_int_equal(line(FULL_HDR "\n"), EIR_SNAP_LINE_META);
	assert_int_equal(line("imei,status,reason,valid_until,imsi\r\n"), EIR_SNAP_LINE_META);
}

static void test_full_file(void **state)
{
	start_full();
	assert_int_equal(p.hdr.kind, EIR_SNAP_FULL);
	assert_true(p.hdr.seq == 42);
	assert_string_equal(p.hdr.source, "hamta");
	assert_true(p.hdr.created == 1795600800);

	assert_int_equal(line("35209900176148,active,,,"), EIR_SNAP_LINE_ROW);
	assert_false(row.is_range);
	assert_true(row.first == 35209900176148ULL && row.last == row.first);
	assert_int_equal(row.rec.status, EIR_STATUS_ACTIVE);

	assert_int_equal(line("352099001761481,traveller,,2027-03-01,\r\n"), EIR_SNAP_LINE_ROW);
	assert_true(row.rec.valid_until == 1803859200);

	assert_int_equal(line("35000000000005,blocked,lost,,001010000000001;001010000000002"), EIR_SNAP_LINE_ROW);
	assert_string_equal(row.reason, "lost");
	assert_int_equal(row.n_imsis, 2);
	assert_int_equal(row.rec.flags, 0);

	assert_int_equal(line("35000000000006,active,,,lock:432110000000009"), EIR_SNAP_LINE_ROW);
	assert_int_equal(row.rec.flags, EIR_REC_LOCKED);
	assert_int_equal(row.n_imsis, 1);

	assert_int_equal(line("35209900,blocked,counterfeit,,"), EIR_SNAP_LINE_ROW);
	assert_true(row.is_range && row.first == 35209900000000ULL && row.last == 35209900999999ULL);

	assert_int_equal(line("86000001000000-86000001000999,registered,,,"), EIR_SNAP_LINE_ROW);
	assert_true(row.is_range && row.last == 86000001000999ULL);

	assert_int_equal(line(""), EIR_SNAP_LINE_META);
	assert_int_equal(eir_snap_finish(&p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(line("# end rows=6\n"), EIR_SNAP_LINE_END);
	assert_int_equal(eir_snap_finish(&p, err, sizeof(err)), 0);
	assert_int_equal(line("35209900176148,active,,,"), -EINVAL);
	assert_non_null(strstr(err, "after the trailer"));
}

static void test_delta_file(void **state)
{
	eir_snap_init(&p);
	assert_int_equal(line("\xef\xbb\xbf" DELTA_HDR), EIR_SNAP_LINE_META);
	assert_int_equal(p.hdr.kind, EIR_SNAP_DELTA);
	assert_true(p.hdr.base == 42 && p.hdr.seq == 43);
	assert_int_equal(line("imei,status,reason,valid_until,imsi"), -EINVAL);
	assert_non_null(strstr(err, "op,imei"));
	assert_int_equal(line("op,imei,status,reason,valid_until,imsi"), EIR_SNAP_LINE_META);
	assert_int_equal(line("set,35209900176148,blocked,stolen,,"), EIR_SNAP_LINE_ROW);
	assert_int_equal(row.op, EIR_SNAP_SET);
	assert_int_equal(line("del,35209900176148,,,,"), EIR_SNAP_LINE_ROW);
	assert_int_equal(row.op, EIR_SNAP_DEL);
	assert_int_equal(line("del,35209900,,,,"), EIR_SNAP_LINE_ROW);
	assert_true(row.is_range);
	assert_int_equal(line("del,35209900176148,active,,,"), -EINVAL);
	assert_int_equal(line("put,35209900176148,active,,,"), -EINVAL);
	assert_non_null(strstr(err, "set or del"));
	assert_int_equal(line("# end rows=2"), -EINVAL);
	assert_non_null(strstr(err, "trailer says 2 rows, the file has 3"));
}

static void test_header_errors(void **state)
{
	static const struct { const char *hdr, *msg; } cases[] = {
		{ "imei,status,reason,valid_until,imsi", "first line must be the header" },
		{ "# eir-snapshot version=2 kind=full seq=1", "unsupported format version '2'" },
		{ "# eir-snapshot version=1 kind=half seq=1", "kind must be full or delta" },
		{ "# eir-snapshot version=1 kind=full seq=x1", "seq 'x1' is not a number" },
		{ "# eir-snapshot version=1 kind=full", "header lacks seq" },
		{ "# eir-snapshot kind=full seq=1", "header lacks version" },
		{ "# eir-snapshot version=1 kind=delta seq=5", "needs base=SEQ" },
		{ "# eir-snapshot version=1 kind=delta seq=5 base=5", "must be below its seq" },
		{ "# eir-snapshot version=1 kind=full seq=5 base=4", "full snapshot has no base" },
		{ "# eir-snapshot version=1 kind=full seq=5 created=2026-02-30", "created '2026-02-30'" },
		{ "# eir-snapshot version=1 kind=full seq=5 colour=red", "unknown header field 'colour'" },
		{ "# eir-snapshot version=1 kind=full seq=5 source", "not key=value" },
		{ "# eir-snapshot version=1 kind=full seq=5 source=", "source must be" },
		{ "# eir-snapshot version=1 kind=full seq=5 source=-", "source must not be '-'" },
		{ "# eir-snapshot version=1 kind=full seq=5 source=a\tb", "printable ASCII without blanks" },
		{ "# eir-snapshot version=1 kind=full seq=5 source=a\x1b[2J", "printable ASCII without blanks" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eir_snap_init(&p);
		assert_int_equal(line(cases[i].hdr), -EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("'%s': got '%s', want '%s'", cases[i].hdr, err, cases[i].msg);
	}
	eir_snap_init(&p);
	assert_int_equal(eir_snap_finish(&p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty file"));
	assert_int_equal(line(FULL_HDR), EIR_SNAP_LINE_META);
	assert_int_equal(line("imei,status"), -EINVAL);
	assert_non_null(strstr(err, "second line must name the columns"));
}

static void test_row_errors(void **state)
{
	static const struct { const char *row, *msg; } cases[] = {
		{ "35209900176148,active,,", "4 columns, expected 5" },
		{ "35209900176148,active,,,,", "6 columns, expected 5" },
		{ "35209900176148,active,,,,,,,", "too many columns" },
		{ "352099001761482,active,,,", "check digit does not match" },
		{ "3520990017614,active,,,", "must be 14 or 15 digits" },
		{ "3520990017614a,active,,,", "non-digit" },
		{ "3520990a,active,,,", "TAC '3520990a'" },
		{ "35209900176148-35209900176100,active,,,", "ends before it starts" },
		{ "35209900176148-352099001761,active,,,", "two 14-digit IMEIs" },
		{ "35209900176148,stolen,,,", "unknown status 'stolen'" },
		{ "35209900176148,,,,", "unknown status ''" },
		{ "35209900176148,blocked,a;b,,", "reason contains" },
		{ "35209900176148,blocked,\"x\",,", "reason contains" },
		{ "35209900176148,blocked,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,,", "reason longer" },
		{ "35209900176148,traveller,,2027-13-01,", "valid_until '2027-13-01'" },
		{ "35209900176148,traveller,,27-01-01,", "valid_until" },
		{ "35209900176148,traveller,,2027-01-01T10:00:00,", "valid_until" },
		{ "35209900176148,active,,,12345", "imsi '12345'" },
		{ "35209900176148,active,,,001010000000001;", "empty IMSI" },
		{ "35209900176148,active,,,001010000000001;001010000000001", "listed twice" },
		{ "35209900176148,active,,,lock:", "needs at least one IMSI" },
		{ "35209900176148,active,,,1000001;1000002;1000003;1000004;1000005;1000006;1000007;1000008;1000009;1000010;1000011",
		  "more than 10 IMSIs" },
		{ "35209900,active,,,001010000000001", "carry no IMSIs" },
		{ "# comment", "must be the trailer" },
		{ "# end rows=x", "must be the trailer" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start_full();
		assert_int_equal(line(cases[i].row), -EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("'%s': got '%s', want '%s'", cases[i].row, err, cases[i].msg);
	}
	start_full();
	assert_int_equal(eir_snap_parse_line(&p, "352099\0" "00176148,active,,,", 24, &row, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
}

static void test_format_header_round_trip(void **state)
{
	struct eir_snap_header h = { .kind = EIR_SNAP_DELTA, .seq = 9, .base = 8,
				     .source = "dirbs", .created = 1764064800 };
	char buf[512], *nl;

	assert_true(eir_snap_format_header(&h, buf, sizeof(buf)) > 0);
	eir_snap_init(&p);
	nl = strchr(buf, '\n');
	assert_int_equal(eir_snap_parse_line(&p, buf, (size_t)(nl - buf + 1), &row, err, sizeof(err)), EIR_SNAP_LINE_META);
	assert_int_equal(line(nl + 1), EIR_SNAP_LINE_META);
	assert_true(p.hdr.kind == EIR_SNAP_DELTA && p.hdr.seq == 9 && p.hdr.base == 8 &&
		    p.hdr.created == 1764064800);
	assert_string_equal(p.hdr.source, "dirbs");
	assert_int_equal(eir_snap_format_header(&h, buf, 20), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_delta_file),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_row_errors),
		cmocka_unit_test(test_format_header_round_trip),
	};
	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
