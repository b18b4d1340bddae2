/* Unit tests: feed index parsing, feed locations, and the choice of files
 * for pull. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "feed.h"

static struct feed_entry *entries;
static int n;
static char msg[256];

static void load(const char *index)
{
	free(entries);
	entries = NULL;
	n = feed_parse_index(index, &entries, msg, sizeof(msg));
	assert_true(n >= 0);
}

/* The plan as "seq,seq,..." for compact assertions. */
static const char *plan(bool have_db, uint64_t cur)
{
	static char out[256];
	size_t p[64], np = feed_plan(entries, (size_t)n, have_db, cur, p);
	out[0] = '\0';
	for (size_t i = 0; i < np; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s%llu", i ? "," : "",
			 entries[p[i]].delta ? "d" : "f", (unsigned long long)entries[p[i]].seq);
	return out;
}

static void test_index(void **state)
{
	load("# feed\nfull 1 full-1.csv.gz\r\n\ndelta 2 1 d2.csv   # comment\n");
	assert_int_equal(n, 2);
	assert_false(entries[0].delta);
	assert_string_equal(entries[0].name, "full-1.csv.gz");
	assert_true(entries[1].delta && entries[1].seq == 2 && entries[1].base == 1);

	static const char *const bad[][2] = {
		{ "full x f.csv\n", "index:1: expected" },
		{ "full 1\n", "index:1: expected" },
		{ "full 1 a b\n", "index:1: expected" },
		{ "delta 2 2 d.csv\n", "index:1: expected" },
		{ "full 1 f\nsnapshot 2 f\n", "index:2: expected" },
		{ "full 1 ../etc/passwd\n", "leaves the feed" },
		{ "full 1 /etc/passwd\n", "leaves the feed" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct feed_entry *e = NULL;
		assert_int_equal(feed_parse_index(bad[i][0], &e, msg, sizeof(msg)), -1);
		if (!strstr(msg, bad[i][1]))
			fail_msg("'%s': got '%s'", bad[i][0], msg);
	}
}

static void test_plan(void **state)
{
	load("full 1 f1\ndelta 2 1 d2\ndelta 3 2 d3\nfull 3 f3\ndelta 4 3 d4\n");
	/* Empty database: the newest full and its chain. */
	assert_string_equal(plan(false, 0), "f3,d4");
	/* Chain from where we are when it reaches as far. */
	assert_string_equal(plan(true, 1), "d2,d3,d4");
	assert_string_equal(plan(true, 3), "d4");
	/* Up to date: nothing. Ahead of the feed: nothing, never backwards. */
	assert_string_equal(plan(true, 4), "");
	assert_string_equal(plan(true, 9), "");
	/* Broken chain (no delta from 5 or from 0): newest full. */
	load("full 1 f1\ndelta 2 1 d2\nfull 10 f10\ndelta 11 10 d11\n");
	assert_string_equal(plan(true, 5), "f10,d11");
	/* A chain that stops short of the newest full loses to it. */
	assert_string_equal(plan(true, 1), "f10,d11");
	/* Only deltas, none from here: nothing to do. */
	load("delta 2 1 d2\ndelta 3 2 d3\n");
	assert_string_equal(plan(true, 7), "");
	assert_string_equal(plan(true, 2), "d3");
	assert_string_equal(plan(false, 0), "");
	/* Two deltas from one base: the one reaching further. */
	load("full 1 f1\ndelta 2 1 d2\ndelta 5 1 d5\ndelta 6 5 d6\n");
	assert_string_equal(plan(true, 1), "d5,d6");
	load("");
	assert_int_equal(n, 0);
	assert_string_equal(plan(true, 1), "");
}

static void test_resolve(void **state)
{
	static const struct { const char *feed; int kind; const char *out; } cases[] = {
		{ "/srv/feed", FEED_DIR, "/srv/feed" },
		{ "feed", FEED_DIR, "feed" },
		{ "http-mirror/feed", FEED_DIR, "http-mirror/feed" },
		{ "./ftp:/x", FEED_DIR, "./ftp:/x" },
		{ "file:///srv/feed", FEED_DIR, "/srv/feed" },
		{ "FILE://localhost/srv/feed", FEED_DIR, "/srv/feed" },
		{ "http://registry.example/feed/", FEED_HTTP, "http://registry.example/feed/" },
		{ "HTTPS://registry.example/feed", FEED_HTTP, "HTTPS://registry.example/feed" },
		{ "ftp://registry.example/feed", -1, "unsupported scheme 'ftp'" },
		{ "sftp://registry.example/feed", -1, "unsupported scheme 'sftp'" },
		{ "file://registry.example/feed", -1, "file:///path" },
		{ "file://", -1, "file:///path" },
	};
	char out[256], m[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out[0] = m[0] = '\0';
		int k = feed_resolve(cases[i].feed, out, sizeof(out), m, sizeof(m));
		if (k != cases[i].kind)
			fail_msg("'%s': kind %d, expected %d (%s)", cases[i].feed, k, cases[i].kind, m);
		if (k >= 0)
			assert_string_equal(out, cases[i].out);
		else if (!strstr(m, cases[i].out) || !strstr(m, cases[i].feed))
			fail_msg("'%s': got '%s'", cases[i].feed, m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_plan),
	};
	int rc = cmocka_run_group_tests_name("feed", tests, NULL, NULL);
	free(entries);
	return rc;
}
