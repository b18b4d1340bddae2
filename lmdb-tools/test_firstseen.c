/* Unit tests: the first-seen file parser (every refusal, BOM, CRLF, the
 * trailer, 15-digit IMEIs, times in the future) and its import: file:line
 * in every refusal with nothing applied, min-merge, idempotence, order
 * independence, the registry's snapshot identity left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "firstseen.h"
#include "import.h"
#include "store.h"
#include "testutil.h"

#define NOW 1796083200ULL	/* 2026-12-01T00:00:00Z */

static struct firstseen_row rows[16];
static size_t nrows;

/* Parse text line by line as the importer does: "ok", or "LINE: why" for
 * the first refusal (at the end of input: the last line's number). */
static const char *parse(const char *text, uint64_t now)
{
	static char out[320];
	struct firstseen_parser p;
	char err[256];
	const char *s = text;
	unsigned long line = 0;

	firstseen_init(&p, now);
	nrows = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
		struct firstseen_row row;
		int rc;

		line++;
		rc = firstseen_parse_line(&p, s, n, &row, err, sizeof(err));
		if (rc < 0) {
			snprintf(out, sizeof(out), "%lu: %s", line, err);
			return out;
		}
		if (rc == FIRSTSEEN_LINE_ROW && nrows < 16)
			rows[nrows++] = row;
		s += n;
	}
	if (firstseen_finish(&p, err, sizeof(err))) {
		snprintf(out, sizeof(out), "%lu: %s", line, err);
		return out;
	}
	return "ok";
}

static void test_parse_good(void **state)
{
	assert_string_equal(parse("imei,first_seen\n"
				  "35209900176148,2026-11-03T10:22:01Z\n"
				  "86000001000001,2026-11-30T23:59:59Z\n"
				  "# end rows=2\n", NOW), "ok");
	assert_int_equal(nrows, 2);
	assert_true(rows[0].imei == 35209900176148ULL && rows[0].first_seen == 1793701321);
	assert_true(rows[1].imei == 86000001000001ULL && rows[1].first_seen == 1796083199);

	/* A byte order mark, CRLF, blank lines anywhere after the column
	 * line, no newline after the trailer. */
	assert_string_equal(parse("\xef\xbb\xbfimei,first_seen\r\n\r\n"
				  "35209900176148,2026-11-03T10:22:01Z\r\n\n"
				  "# end rows=1\r\n\r\n\n", NOW), "ok");
	assert_string_equal(parse("imei,first_seen\n# end rows=0", NOW), "ok");
	assert_int_equal(nrows, 0);

	/* 15 digits with a valid check digit: the 14-digit key. A bare
	 * date: its midnight UTC. */
	assert_string_equal(parse("imei,first_seen\n352099001761481,2026-11-05\n# end rows=1\n", NOW), "ok");
	assert_true(rows[0].imei == 35209900176148ULL && rows[0].first_seen == 1793836800);

	/* The same IMEI twice is two rows; the importer keeps the earlier. */
	assert_string_equal(parse("imei,first_seen\n35209900176148,2026-11-05\n"
				  "352099001761481,2026-11-04\n# end rows=2\n", NOW), "ok");
	assert_int_equal(nrows, 2);

	/* Up to a day ahead of the importer's clock (nodes' clocks differ). */
	assert_string_equal(parse("imei,first_seen\n35209900176148,2026-12-02T00:00:00Z\n# end rows=1\n", NOW), "ok");
}

static void test_parse_refusals(void **state)
{
	static const char *const cases[][2] = {
		/* the column line */
		{ "", "0: empty file: no column line" },
		{ "imei,first_seen,x\n# end rows=0\n", "1: first line must name the columns: imei,first_seen" },
		{ "imei, first_seen\n", "1: first line must name the columns" },
		{ "\n", "1: first line must name the columns" },
		{ "imei,first_seen\xef\xbb\xbf\n", "1: first line must name the columns" },
		/* IMEIs */
		{ "imei,first_seen\n3520990017614,2026-11-03\n", "2: imei '3520990017614' must be 14 digits, or 15 with its check digit" },
		{ "imei,first_seen\n3520990017614812,2026-11-03\n", "2: imei '3520990017614812' must be 14 digits, or 15 with its check digit" },
		{ "imei,first_seen\n352099001761482,2026-11-03\n", "2: imei '352099001761482': IMEI check digit does not match" },
		{ "imei,first_seen\n3520990017614x,2026-11-03\n", "2: imei '3520990017614x': IMEI contains a non-digit" },
		{ "imei,first_seen\n,2026-11-03\n", "2: imei '' must be 14 digits" },
		{ "imei,first_seen\n 35209900176148,2026-11-03\n", "2: imei ' 35209900176148': IMEI contains a non-digit" },
		/* times */
		{ "imei,first_seen\n35209900176148,2026-11-03T10:22:01\n", "2: first_seen '2026-11-03T10:22:01' is not YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD" },
		{ "imei,first_seen\n35209900176148,2026-02-30\n", "2: first_seen '2026-02-30' is not" },
		{ "imei,first_seen\n35209900176148,2026-11-03T24:00:00Z\n", "2: first_seen '2026-11-03T24:00:00Z' is not" },
		{ "imei,first_seen\n35209900176148,1796000000\n", "2: first_seen '1796000000' is not" },
		{ "imei,first_seen\n35209900176148,\n", "2: first_seen '' is not" },
		{ "imei,first_seen\n35209900176148,1970-01-01\n", "2: first_seen '1970-01-01' is the epoch, not a sighting" },
		{ "imei,first_seen\n35209900176148,2026-12-02T00:00:01Z\n",
		  "2: first_seen '2026-12-02T00:00:01Z' is more than a day in the future (now 2026-12-01): "
		  "is the exporting node's clock right?" },
		{ "imei,first_seen\n35209900176148,2107-01-01\n", "2: first_seen '2107-01-01' is more than a day in the future" },
		/* columns */
		{ "imei,first_seen\n35209900176148\n", "2: 1 column, expected 2 (imei,first_seen)" },
		{ "imei,first_seen\n35209900176148,2026-11-03,x\n", "2: 3 columns, expected 2 (imei,first_seen)" },
		{ "imei,first_seen\n35209900176148,2026-11-03,\n", "2: 3 columns, expected 2" },
		/* trailer */
		{ "imei,first_seen\n35209900176148,2026-11-03\n", "2: no trailer '# end rows=N' after 1 rows: truncated file?" },
		{ "imei,first_seen\n\r\n35209900176148,2026-11-03\r\n# end rows=2\r\n", "4: trailer says 2 rows, the file has 1" },
		{ "imei,first_seen\n35209900176148,2026-11-03\n86000001000001,2026-11-03\n# end rows=1\n", "4: trailer says 1 rows, the file has 2" },
		{ "imei,first_seen\n# end rows=\n", "2: a line starting with '#' must be the trailer '# end rows=N'" },
		{ "imei,first_seen\n# end rows=-1\n", "2: a line starting with '#' must be the trailer" },
		{ "imei,first_seen\n# node1 export\n# end rows=0\n", "2: a line starting with '#' must be the trailer" },
		{ "imei,first_seen\n# end rows=0\n35209900176148,2026-11-03\n", "3: data after the trailer" },
		{ "imei,first_seen\n# end rows=0\n# end rows=0\n", "3: data after the trailer" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = parse(cases[i][0], NOW);
		if (strncmp(got, cases[i][1], strlen(cases[i][1])))
			fail_msg("case %zu: got '%s', expected '%s...'", i, got, cases[i][1]);
	}
	/* A NUL inside a line (the strings above end at one). */
	struct firstseen_parser p;
	struct firstseen_row row;
	char err[256];
	firstseen_init(&p, NOW);
	assert_int_equal(firstseen_parse_line(&p, "imei,first_seen", 15, &row, err, sizeof(err)), FIRSTSEEN_LINE_META);
	assert_int_equal(firstseen_parse_line(&p, "35209900176148\0,2026-11-03", 26, &row, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "NUL character in line");
}

static void test_detect(void **state)
{
	assert_true(firstseen_detect("imei,first_seen", 15));
	assert_true(firstseen_detect("imei,first_seen\n", 16));
	assert_true(firstseen_detect("imei,first_seen\r\n", 17));
	assert_true(firstseen_detect("\xef\xbb\xbfimei,first_seen\r", 18));
	assert_false(firstseen_detect("imei,first_seen,", 16));
	assert_false(firstseen_detect("imei,first_seen ", 16));
	assert_false(firstseen_detect("imei,imsi", 9));
	assert_false(firstseen_detect("imei,status,reason,valid_until,imsi", 35));
	assert_false(firstseen_detect("# eir-snapshot version=1 kind=full seq=1", 40));
	assert_false(firstseen_detect("", 0));
}

/* ------------------------------------------------------------- importing */

static char *dir;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static enum import_status import_text(const char *db, const char *name, const char *text,
				      struct import_result *res)
{
	struct import_opts o = { .max_shrink = 0.1 };
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text);
	return import_file(db, path, &o, res);
}

/* A registry at seq 5 with one record. */
static void registry(const char *db)
{
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .map_size = 64ULL << 20 };
	struct eir_meta m = { .kind = "delta", .seq = 5, .source = "reg", .created = 1700000000 };
	struct eir_writer *w;

	assert_int_equal(eir_writer_open(&w, db, &o, NULL, 0), 0);
	eir_writer_put(w, 35209900176148ULL, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	eir_writer_set_meta(w, &m);
	assert_int_equal(eir_writer_commit(w, NULL, 0), 0);
}

/* Every first sighting of db as "IMEI=T;..." and the meta. */
static int dump_cb(void *ctx, uint64_t imei, uint32_t t)
{
	char *out = ctx;
	snprintf(out + strlen(out), 4096 - strlen(out), "%014llu=%u;", (unsigned long long)imei, t);
	return 0;
}

static const char *dump(const char *db, struct eir_meta *m)
{
	static char out[4096];
	struct eir_store *s;

	out[0] = '\0';
	assert_int_equal(eir_store_open(&s, db, NULL, 0), 0);
	assert_int_equal(eir_store_walk_first_seen(s, 0, 99999999999999ULL, dump_cb, out), 0);
	assert_int_equal(eir_store_get_meta(s, m), 0);
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	eir_store_close(s);
	return out;
}

static const char *const node1 = "imei,first_seen\n"
	"35209900176148,2024-11-03T10:22:01Z\n"
	"86000001000001,2024-11-20\n"
	"86000001000001,2024-11-19\n"		/* twice: the earlier counts */
	"# end rows=3\n";
static const char *const node2 = "\xef\xbb\xbfimei,first_seen\r\n"
	"352099001761481,2024-11-01T00:00:05Z\r\n"	/* earlier than node1's */
	"86000001000001,2024-11-25\r\n"			/* later than node1's */
	"49015420323751,2024-11-02\r\n"
	"# end rows=3\r\n";

static void test_import(void **state)
{
	char db[600], db2[600], before[4096], msg[600];
	struct import_result res;
	struct eir_meta m;

	dir = tmpdir_new();
	snprintf(db, sizeof(db), "%s/db", dir);
	snprintf(db2, sizeof(db2), "%s/db2", dir);

	/* (Times of 2024: the import checks them against the real clock.) */
	/* No registry yet: refused, and no database is created. */
	assert_int_equal(import_text(db, "node1.csv", node1, &res), IMPORT_REFUSED);
	assert_non_null(strstr(res.msg, "holds no registry database yet: import a registry snapshot first"));
	assert_int_equal(eir_store_read_meta(db, &m), -ENOENT);

	registry(db);
	assert_int_equal(import_text(db, "node1.csv", node1, &res), IMPORT_APPLIED);
	assert_non_null(strstr(res.msg, "applied first-seen file: 3 rows, 2 IMEIs: 2 new, 0 earlier, 0 unchanged"));
	assert_string_equal(dump(db, &m), "35209900176148=1730629321;86000001000001=1731974400;");
	/* The registry's snapshot stays what it was: seq, kind, history. */
	assert_int_equal(m.seq, 5);
	assert_string_equal(m.kind, "delta");
	assert_string_equal(m.source, "reg");
	assert_int_equal(m.first_seen, 2);
	assert_string_equal(m.first_seen_source, "node1.csv");
	assert_true(m.first_seen_imported > 0);

	/* Again: idempotent. Then the other node: min per IMEI. */
	assert_int_equal(import_text(db, "node1.csv", node1, &res), IMPORT_APPLIED);
	assert_non_null(strstr(res.msg, "0 new, 0 earlier, 2 unchanged"));
	assert_int_equal(import_text(db, "node2.csv", node2, &res), IMPORT_APPLIED);
	assert_non_null(strstr(res.msg, "3 rows, 3 IMEIs: 1 new, 1 earlier, 1 unchanged"));
	snprintf(before, sizeof(before), "%s", dump(db, &m));
	assert_string_equal(before, "35209900176148=1730419205;49015420323751=1730505600;86000001000001=1731974400;");
	assert_string_equal(m.first_seen_source, "node2.csv");
	assert_int_equal(m.first_seen, 3);

	/* The other order gives the same data. */
	registry(db2);
	assert_int_equal(import_text(db2, "node2.csv", node2, &res), IMPORT_APPLIED);
	assert_int_equal(import_text(db2, "node1.csv", node1, &res), IMPORT_APPLIED);
	assert_string_equal(dump(db2, &m), before);

	/* Refusals name file:line, and leave everything as it was. */
	static const char *const bad[][2] = {
		{ "imei,first_seen\n35209900176148,2024-10-01\n86000001000001,2024-13-01\n# end rows=2\n",
		  "bad.csv:3: first_seen '2024-13-01' is not YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD" },
		{ "imei,first_seen\n\n35209900176148,2024-10-01\n352099001761482,2024-10-01\n# end rows=2\n",
		  "bad.csv:4: imei '352099001761482': IMEI check digit does not match" },
		{ "imei,first_seen\n35209900176148,2024-10-01\n86000001000001,2099-01-01\n# end rows=2\n",
		  "bad.csv:3: first_seen '2099-01-01' is more than a day in the future" },
		{ "imei,first_seen\n35209900176148,2024-10-01\n86000001000001,2024-10-01\n",
		  "bad.csv:3: no trailer '# end rows=N' after 2 rows: truncated file?" },
		{ "imei,first_seen\n35209900176148,2024-10-01\n# end rows=3\n",
		  "bad.csv:3: trailer says 3 rows, the file has 1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(import_text(db, "bad.csv", bad[i][0], &res), IMPORT_REFUSED);
		snprintf(msg, sizeof(msg), "%s/%s", dir, bad[i][1]);
		if (strncmp(res.msg, msg, strlen(msg)))
			fail_msg("case %zu: got '%s', expected '%s...'", i, res.msg, msg);
		assert_string_equal(dump(db, &m), before);
		assert_string_equal(m.first_seen_source, "node2.csv");
	}

	/* --max-rows holds for first-seen files too. */
	struct import_opts o = { .max_rows = 1 };
	char path[700];
	snprintf(path, sizeof(path), "%s/node2.csv", dir);
	assert_int_equal(import_file(db, path, &o, &res), IMPORT_REFUSED);
	assert_non_null(strstr(res.msg, "node2.csv:3: more than 1 rows (--max-rows 1)"));
	tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_import),
	};
	return cmocka_run_group_tests_name("firstseen", tests, NULL, NULL);
}
