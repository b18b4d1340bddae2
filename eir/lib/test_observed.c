/* Unit tests of the observation store (observed.h): merge semantics and
 * counts, IMEI entries and the IMSI index, walks and their windows,
 * retention and the cap, a full map, reopening, the schema check, a
 * reader beside the writer (two processes; two threads of one handle),
 * and a merge rate printed for information. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>
#include <lmdb.h>

#include "observed.h"
#include "policy.h"
#include "record.h"
#include "testutil.h"

#define IMEI_A 35209900176148ULL
#define IMEI_B 35209900176149ULL
#define IMEI_C 49015420323751ULL
#define T0 1767225600U		/* 2026-01-01 */
#define DAY 86400U

static uint64_t imsi_of(const char *s)
{
	uint64_t v;

	assert_int_equal(eir_imsi_parse(s, strlen(s), &v), 0);
	return v;
}

static struct eir_obs_db *wopen_map(const char *dir, uint64_t map)
{
	struct eir_obs_db *db = NULL;
	char err[256] = "";
	int rc = eir_obs_open(&db, dir, true, map, err, sizeof(err));

	if (rc)
		fail_msg("open %s: %s", dir, err);
	return db;
}

static struct eir_obs_db *wopen(const char *dir)
{
	return wopen_map(dir, 64ULL << 20);
}

static struct eir_obs_db *ropen(const char *dir)
{
	struct eir_obs_db *db = NULL;
	char err[256] = "";
	int rc = eir_obs_open(&db, dir, false, 0, err, sizeof(err));

	if (rc)
		fail_msg("open %s read-only: %s", dir, err);
	return db;
}

static struct eir_obs obs(uint64_t imei, uint64_t imsi, uint32_t first, uint32_t last, uint32_t count)
{
	return (struct eir_obs){ .imei = imei, .imsi = imsi, .first_seen = first, .last_seen = last,
				 .count = count, .verdict = EIR_WHITELISTED, .would = EIR_WHITELISTED,
				 .branch = EIR_BR_ACTIVE, .iface = EIR_OBS_IF_S13, .svn = 0xff };
}

static void merge(struct eir_obs_db *db, const struct eir_obs *b, size_t n, struct eir_obs_merge_stats *st)
{
	struct eir_obs_merge_stats local;

	assert_int_equal(eir_obs_merge(db, b, n, st ? st : &local), 0);
}

static struct eir_obs get_pair(struct eir_obs_db *db, uint64_t imei, uint64_t imsi)
{
	struct eir_obs o;

	assert_int_equal(eir_obs_begin(db), 0);
	assert_int_equal(eir_obs_get_pair(db, imei, imsi, &o), 0);
	return o;
}

static struct eir_obs_stat get_stat(struct eir_obs_db *db)
{
	struct eir_obs_stat st;

	assert_int_equal(eir_obs_begin(db), 0);
	assert_int_equal(eir_obs_stat(db, &st), 0);
	return st;
}

/* Walk collectors. */
struct collect {
	struct eir_obs o[64];
	struct eir_obs_imei i[64];
	size_t n;
	size_t stop_after;	/* 0: never */
};

static int collect_pair(void *ctx, const struct eir_obs *o)
{
	struct collect *c = ctx;

	assert_true(c->n < 64);
	c->o[c->n++] = *o;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static int collect_imei(void *ctx, const struct eir_obs_imei *i)
{
	struct collect *c = ctx;

	assert_true(c->n < 64);
	c->i[c->n++] = *i;
	return 0;
}

static void test_merge_semantics(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint64_t imsi = imsi_of("432110000000001"), msisdn = imsi_of("989120000001"), m2 = imsi_of("989120000002");
	struct eir_obs_merge_stats st;
	struct eir_obs e = obs(IMEI_A, imsi, T0 + 1000, T0 + 2000, 3), o;

	e.msisdn = msisdn;
	e.svn = 5;
	merge(db, &e, 1, &st);
	assert_int_equal(st.new_pairs, 1);
	assert_int_equal(st.new_imeis, 1);
	assert_int_equal(st.updated, 0);
	o = get_pair(db, IMEI_A, imsi);
	assert_true(o.imei == IMEI_A && o.imsi == imsi && o.msisdn == msisdn);
	assert_int_equal(o.first_seen, T0 + 1000);
	assert_int_equal(o.last_seen, T0 + 2000);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.svn, 5);

	/* Newer: min/max/sum, the last query's fields, the MSISDN kept. */
	e = (struct eir_obs){ .imei = IMEI_A, .imsi = imsi, .first_seen = T0 + 500, .last_seen = T0 + 3000,
			      .count = 2, .verdict = EIR_BLACKLISTED, .would = EIR_GREYLISTED,
			      .branch = EIR_BR_BLOCKED, .iface = EIR_OBS_IF_MAP, .svn = 0xff };
	merge(db, &e, 1, &st);
	assert_int_equal(st.new_pairs, 0);
	assert_int_equal(st.new_imeis, 0);
	assert_int_equal(st.updated, 1);
	o = get_pair(db, IMEI_A, imsi);
	assert_int_equal(o.first_seen, T0 + 500);
	assert_int_equal(o.last_seen, T0 + 3000);
	assert_int_equal(o.count, 5);
	assert_true(o.msisdn == msisdn);
	assert_int_equal(o.verdict, EIR_BLACKLISTED);
	assert_int_equal(o.would, EIR_GREYLISTED);
	assert_int_equal(o.branch, EIR_BR_BLOCKED);
	assert_int_equal(o.iface, EIR_OBS_IF_MAP);
	assert_int_equal(o.svn, 0xff);

	/* Older: counted and widening, but the last query's fields stay. */
	e = obs(IMEI_A, imsi, T0 + 100, T0 + 2500, 1);
	e.verdict = EIR_UNKNOWN;
	e.msisdn = m2;
	merge(db, &e, 1, NULL);
	o = get_pair(db, IMEI_A, imsi);
	assert_int_equal(o.first_seen, T0 + 100);
	assert_int_equal(o.last_seen, T0 + 3000);
	assert_int_equal(o.count, 6);
	assert_int_equal(o.verdict, EIR_BLACKLISTED);
	assert_int_equal(o.iface, EIR_OBS_IF_MAP);
	assert_true(o.msisdn == msisdn);

	/* Equally new: taken, with a new MSISDN. */
	e = obs(IMEI_A, imsi, T0 + 3000, T0 + 3000, 1);
	e.msisdn = m2;
	e.iface = EIR_OBS_IF_N5G;
	merge(db, &e, 1, NULL);
	o = get_pair(db, IMEI_A, imsi);
	assert_int_equal(o.iface, EIR_OBS_IF_N5G);
	assert_int_equal(o.verdict, EIR_WHITELISTED);
	assert_true(o.msisdn == m2);

	/* The count saturates. */
	e = obs(IMEI_A, imsi, T0 + 3000, T0 + 3000, UINT32_MAX - 3);
	merge(db, &e, 1, NULL);
	merge(db, &e, 1, NULL);
	assert_int_equal(get_pair(db, IMEI_A, imsi).count, UINT32_MAX);

	/* The same key twice in one batch folds before it is stored. */
	struct eir_obs twice[2] = { obs(IMEI_B, imsi, T0 + 50, T0 + 60, 2), obs(IMEI_B, imsi, T0 + 40, T0 + 70, 3) };
	twice[0].msisdn = msisdn;
	twice[1].verdict = EIR_GREYLISTED;
	merge(db, twice, 2, &st);
	assert_int_equal(st.new_pairs, 1);
	assert_int_equal(st.new_imeis, 1);
	o = get_pair(db, IMEI_B, imsi);
	assert_int_equal(o.first_seen, T0 + 40);
	assert_int_equal(o.last_seen, T0 + 70);
	assert_int_equal(o.count, 5);
	assert_int_equal(o.verdict, EIR_GREYLISTED);
	assert_true(o.msisdn == msisdn);
	eir_obs_close(db);
	tmpdir_free(dir);
}

static void test_counts_and_imei_entry(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint64_t s1 = imsi_of("432110000000001"), s2 = imsi_of("432110000000002"), s3 = imsi_of("432110000000003");
	struct eir_obs_merge_stats st;
	struct eir_obs_imei i;
	struct eir_obs b1[] = { obs(IMEI_A, s1, T0 + 300, T0 + 400, 1), obs(IMEI_C, s1, T0 + 10, T0 + 20, 1) };
	/* Unsorted, one update, two new pairs of a known IMEI, one new IMEI. */
	struct eir_obs b2[] = {
		obs(IMEI_A, s3, T0 + 500, T0 + 900, 1), obs(IMEI_B, s2, T0 + 5, T0 + 6, 1),
		obs(IMEI_A, s1, T0 + 450, T0 + 460, 1), obs(IMEI_A, s2, T0 + 100, T0 + 200, 1),
	};

	merge(db, b1, 2, &st);
	assert_int_equal(st.new_pairs, 2);
	assert_int_equal(st.new_imeis, 2);
	merge(db, b2, 4, &st);
	assert_int_equal(st.new_pairs, 3);
	assert_int_equal(st.new_imeis, 1);
	assert_int_equal(st.updated, 1);

	assert_int_equal(eir_obs_begin(db), 0);
	assert_int_equal(eir_obs_get_imei(db, IMEI_A, &i), 0);
	assert_int_equal(i.imei, IMEI_A);
	assert_int_equal(i.first_seen, T0 + 100);	/* the earliest over its pairs */
	assert_int_equal(i.last_seen, T0 + 900);
	assert_int_equal(i.pairs, 3);
	assert_int_equal(eir_obs_get_imei(db, IMEI_B, &i), 0);
	assert_int_equal(i.pairs, 1);
	assert_int_equal(eir_obs_get_imei(db, IMEI_A + 5, &i), -ENOENT);
	struct eir_obs o;
	assert_int_equal(eir_obs_get_pair(db, IMEI_A, s1 + 10, &o), -ENOENT);

	/* Every pair of one IMEI, by IMSI. */
	struct collect c = { .n = 0 };
	assert_int_equal(eir_obs_walk_imei(db, IMEI_A, collect_pair, &c), 0);
	assert_int_equal(c.n, 3);
	assert_true(c.o[0].imsi == s1 && c.o[1].imsi == s2 && c.o[2].imsi == s3);
	assert_int_equal(c.o[0].first_seen, T0 + 300);
	assert_int_equal(c.o[0].last_seen, T0 + 460);
	assert_int_equal(c.o[0].count, 2);

	struct eir_obs_stat s = get_stat(db);
	assert_int_equal(s.pairs, 5);
	assert_int_equal(s.imeis, 3);
	assert_int_equal(s.imsis, 3);
	assert_int_equal(s.newest_seen, T0 + 900);
	assert_int_equal(s.oldest_seen, T0 + 6);
	eir_obs_close(db);
	tmpdir_free(dir);
}

static void test_imsi_zero_and_index(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint64_t s1 = imsi_of("432110000000001"), s2 = imsi_of("01010123456789");
	struct eir_obs b[] = {
		obs(IMEI_C, s1, T0 + 1, T0 + 2, 1), obs(IMEI_A, s1, T0 + 3, T0 + 4, 1),
		obs(IMEI_B, s1, T0 + 5, T0 + 6, 7), obs(IMEI_A, s2, T0 + 1, T0 + 9, 1),
		obs(IMEI_A, 0, T0 + 1, T0 + 9, 4), obs(IMEI_B, 0, T0 + 1, T0 + 9, 4),
	};
	struct collect c = { .n = 0 };

	merge(db, b, 6, NULL);
	/* The IMSI's pairs through the index, by IMEI, with their values. */
	assert_int_equal(eir_obs_begin(db), 0);
	assert_int_equal(eir_obs_walk_imsi(db, s1, collect_pair, &c), 0);
	assert_int_equal(c.n, 3);
	assert_true(c.o[0].imei == IMEI_A && c.o[1].imei == IMEI_B && c.o[2].imei == IMEI_C);
	assert_int_equal(c.o[1].count, 7);
	assert_true(c.o[1].imsi == s1);
	c.n = 0;
	assert_int_equal(eir_obs_walk_imsi(db, s2, collect_pair, &c), 0);
	assert_int_equal(c.n, 1);
	c.n = 0;
	assert_int_equal(eir_obs_walk_imsi(db, s1 + 1, collect_pair, &c), 0);
	assert_int_equal(c.n, 0);
	/* IMSI 0: stored with its IMEI, never indexed. */
	assert_int_equal(eir_obs_walk_imsi(db, 0, collect_pair, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(eir_obs_walk_imei(db, IMEI_A, collect_pair, &c), 0);
	assert_int_equal(c.n, 3);
	assert_true(c.o[0].imsi == 0 && c.o[0].count == 4);
	/* A callback's value stops the walk and comes back. */
	c = (struct collect){ .stop_after = 2 };
	assert_int_equal(eir_obs_walk_imsi(db, s1, collect_pair, &c), 42);
	assert_int_equal(c.n, 2);
	c = (struct collect){ .stop_after = 1 };
	assert_int_equal(eir_obs_walk_pairs(db, 0, UINT32_MAX, collect_pair, &c), 42);

	struct eir_obs_stat st = get_stat(db);
	assert_int_equal(st.pairs, 6);
	assert_int_equal(st.imeis, 3);
	assert_int_equal(st.imsis, 2);	/* distinct, non-zero */
	eir_obs_close(db);
	tmpdir_free(dir);
}

static void test_windows(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint64_t s1 = imsi_of("432110000000001"), s2 = imsi_of("432110000000002");
	struct eir_obs b[] = {
		obs(IMEI_A, s1, 100, 199, 1),	/* ends just before the window */
		obs(IMEI_A, s2, 100, 200, 1),	/* ends on its first second */
		obs(IMEI_B, s1, 300, 400, 1),	/* starts on its last second */
		obs(IMEI_B, s2, 301, 400, 1),	/* starts just after */
		obs(IMEI_C, s1, 150, 350, 1),	/* covers it */
	};
	struct collect c = { .n = 0 };

	merge(db, b, 5, NULL);
	assert_int_equal(eir_obs_begin(db), 0);
	assert_int_equal(eir_obs_walk_pairs(db, 200, 300, collect_pair, &c), 0);
	assert_int_equal(c.n, 3);
	assert_true(c.o[0].imei == IMEI_A && c.o[0].imsi == s2);
	assert_true(c.o[1].imei == IMEI_B && c.o[1].imsi == s1);
	assert_true(c.o[2].imei == IMEI_C);
	c.n = 0;
	assert_int_equal(eir_obs_walk_pairs(db, 0, UINT32_MAX, collect_pair, &c), 0);
	assert_int_equal(c.n, 5);
	c.n = 0;
	assert_int_equal(eir_obs_walk_pairs(db, 401, 500, collect_pair, &c), 0);
	assert_int_equal(c.n, 0);

	/* IMEIs: A [100,200], B [300,400], C [150,350]. */
	c.n = 0;
	assert_int_equal(eir_obs_walk_imeis(db, 200, 299, collect_imei, &c), 0);
	assert_int_equal(c.n, 2);
	assert_true(c.i[0].imei == IMEI_A && c.i[1].imei == IMEI_C);
	assert_int_equal(c.i[0].first_seen, 100);
	assert_int_equal(c.i[0].last_seen, 200);
	assert_int_equal(c.i[0].pairs, 2);
	c.n = 0;
	assert_int_equal(eir_obs_walk_imeis(db, 201, 300, collect_imei, &c), 0);
	assert_int_equal(c.n, 2);
	assert_true(c.i[0].imei == IMEI_B && c.i[1].imei == IMEI_C);
	c.n = 0;
	assert_int_equal(eir_obs_walk_imeis(db, 351, 360, collect_imei, &c), 0);
	assert_int_equal(c.n, 1);
	eir_obs_close(db);
	tmpdir_free(dir);
}

/* Every index entry has its pair and every pair with an IMSI its index
 * entry; the IMEI entries count their pairs. */
static void check_consistent(struct eir_obs_db *db, const uint64_t *imsis, size_t n_imsis)
{
	struct collect all = { .n = 0 }, one;
	struct eir_obs_stat st = get_stat(db);
	size_t indexed = 0, with_imsi = 0, distinct = 0;

	assert_int_equal(eir_obs_walk_pairs(db, 0, UINT32_MAX, collect_pair, &all), 0);
	assert_int_equal(all.n, st.pairs);
	for (size_t i = 0; i < n_imsis; i++) {
		one = (struct collect){ .n = 0 };
		assert_int_equal(eir_obs_walk_imsi(db, imsis[i], collect_pair, &one), 0);
		indexed += one.n;
		distinct += one.n > 0;
	}
	for (size_t i = 0; i < all.n; i++)
		with_imsi += all.o[i].imsi != 0;
	assert_int_equal(indexed, with_imsi);
	assert_int_equal(distinct, st.imsis);
	one = (struct collect){ .n = 0 };
	assert_int_equal(eir_obs_walk_imeis(db, 0, UINT32_MAX, collect_imei, &one), 0);
	assert_int_equal(one.n, st.imeis);
	for (size_t i = 0; i < one.n; i++) {
		struct collect p = { .n = 0 };
		assert_int_equal(eir_obs_walk_imei(db, one.i[i].imei, collect_pair, &p), 0);
		assert_int_equal(p.n, one.i[i].pairs);
	}
}

static void test_retention(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint64_t s[3] = { imsi_of("432110000000001"), imsi_of("432110000000002"), imsi_of("432110000000003") };
	uint32_t now = (uint32_t)time(NULL);
	struct eir_obs b[] = {
		obs(IMEI_A, s[0], now - 90 * DAY, now - 80 * DAY, 1),	/* old */
		obs(IMEI_A, s[1], now - 90 * DAY, now - 1 * DAY, 1),
		obs(IMEI_B, s[0], now - 70 * DAY, now - 60 * DAY, 1),	/* old: B's last pair */
		obs(IMEI_B, 0, now - 70 * DAY, now - 61 * DAY, 1),	/* old */
		obs(IMEI_C, s[2], now - 50 * DAY, now - 31 * DAY, 1),	/* old: IMSI s[2]'s last */
		obs(IMEI_C, 0, now - 50 * DAY, now - 30 * DAY, 1),	/* on the cutoff: kept */
		obs(IMEI_C, s[0], now - 5 * DAY, now, 1),
	};
	uint64_t expired, total = 0;
	struct eir_obs_imei i;
	int rc, calls = 0;

	merge(db, b, 7, NULL);
	check_consistent(db, s, 3);
	/* Two pairs a step: the pass takes four calls, the last reports its end. */
	do {
		rc = eir_obs_expire(db, now - 30 * DAY, 0, 2, &expired);
		assert_true(rc == 0 || rc == 1);
		assert_true(expired <= 2);
		total += expired;
		calls++;
	} while (rc == 0);
	assert_int_equal(calls, 4);
	assert_int_equal(total, 4);

	struct eir_obs_stat st = get_stat(db);
	assert_int_equal(st.pairs, 3);
	assert_int_equal(st.imeis, 2);
	assert_int_equal(st.imsis, 2);
	assert_int_equal(st.expired, 4);
	assert_int_equal(st.oldest_seen, now - 30 * DAY);
	assert_int_equal(st.newest_seen, now);
	assert_int_equal(eir_obs_get_imei(db, IMEI_B, &i), -ENOENT);
	assert_int_equal(eir_obs_get_imei(db, IMEI_A, &i), 0);
	assert_int_equal(i.pairs, 1);
	assert_int_equal(i.first_seen, now - 90 * DAY);	/* ever: not raised */
	assert_int_equal(eir_obs_get_imei(db, IMEI_C, &i), 0);
	assert_int_equal(i.pairs, 2);
	struct eir_obs o;
	assert_int_equal(eir_obs_get_pair(db, IMEI_A, s[0], &o), -ENOENT);
	assert_int_equal(eir_obs_get_pair(db, IMEI_C, 0, &o), 0);
	check_consistent(db, s, 3);

	/* A new pass from the start; nothing more is old. */
	assert_int_equal(eir_obs_expire(db, now - 30 * DAY, 0, 100, &expired), 1);
	assert_int_equal(expired, 0);
	/* Everything goes: the IMEIs, the index, the bounds. */
	assert_int_equal(eir_obs_expire(db, now + 1, 0, 100, &expired), 1);
	assert_int_equal(expired, 3);
	st = get_stat(db);
	assert_int_equal(st.pairs + st.imeis + st.imsis, 0);
	assert_int_equal(st.oldest_seen, 0);
	assert_int_equal(st.newest_seen, 0);
	assert_int_equal(st.expired, 7);
	assert_int_equal(eir_obs_expire(db, 0, 0, 0, &expired), -EINVAL);
	eir_obs_close(db);
	tmpdir_free(dir);
}

/* Notification marks: a kind is written once per (pair, cut-off day),
 * a failed emit leaves nothing marked, another day counts anew, the marks
 * survive a reopen and go with their pair. */
static int emit_n;
static int emit_rc;

static int emit_count(void *ctx, const struct eir_obs_claim *c, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		emit_n += __builtin_popcount(c[i].fresh);
	return emit_rc;
}

static void test_claim(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint64_t s = imsi_of("432110000000001");
	uint32_t now = (uint32_t)time(NULL);
	struct eir_obs b[] = { obs(IMEI_A, s, now - 100 * DAY, now - 100 * DAY, 1), obs(IMEI_B, s, now, now, 1) };
	struct eir_obs_claim c[2] = { { IMEI_A, s, 20000, 1, 0 }, { IMEI_B, s, 20000, 3, 0 } };
	uint64_t expired;

	(void)state;
	merge(db, b, 2, NULL);
	/* A failing emit: nothing marked. */
	emit_rc = -EIO, emit_n = 0;
	assert_int_equal(eir_obs_claim(db, c, 2, emit_count, NULL), -EIO);
	assert_int_equal(emit_n, 3);
	emit_rc = 0, emit_n = 0;
	assert_int_equal(eir_obs_claim(db, c, 2, emit_count, NULL), 0);
	assert_int_equal(emit_n, 3);
	assert_int_equal(c[1].fresh, 3);
	/* Again: nothing fresh; a new kind is; another day counts anew. */
	emit_n = 0;
	c[0].want = 1 | 4;
	assert_int_equal(eir_obs_claim(db, c, 2, emit_count, NULL), 0);
	assert_int_equal(emit_n, 1);
	assert_int_equal(c[0].fresh, 4);
	assert_int_equal(c[1].fresh, 0);
	eir_obs_close(db);
	db = wopen(dir);
	emit_n = 0;
	c[1].day = 20001;
	c[0].want = 5;
	assert_int_equal(eir_obs_claim(db, c, 2, emit_count, NULL), 0);
	assert_int_equal(c[0].fresh, 0);
	assert_int_equal(c[1].fresh, 3);
	/* A's pair expires (last seen 100 days ago): its marks go too. */
	assert_int_equal(eir_obs_expire(db, now - 30 * DAY, 0, 100, &expired), 1);
	assert_int_equal(expired, 1);
	merge(db, b, 1, NULL);
	assert_int_equal(eir_obs_claim(db, c, 1, emit_count, NULL), 0);
	assert_int_equal(c[0].fresh, 5);
	eir_obs_close(db);
	/* A read-only handle cannot claim. */
	db = ropen(dir);
	assert_int_equal(eir_obs_claim(db, c, 1, emit_count, NULL), -EBADF);
	eir_obs_close(db);
	tmpdir_free(dir);
}

/* A pass resumes where the last call stopped, also across a reopen and
 * with merges in between. */
static void test_expire_resumes(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint32_t now = (uint32_t)time(NULL);
	struct eir_obs b[40];
	uint64_t expired, total = 0;
	int rc;

	for (int i = 0; i < 40; i++)
		b[i] = obs(IMEI_A + (uint64_t)i, 0, now - 10 * DAY, i % 2 ? now : now - 9 * DAY, 1);
	merge(db, b, 40, NULL);
	assert_int_equal(eir_obs_expire(db, now - DAY, 0, 15, &expired), 0);
	total += expired;
	eir_obs_close(db);
	db = wopen(dir);
	/* A new pair behind the position waits for the next pass. */
	struct eir_obs late = obs(IMEI_A - 1, 0, now - 10 * DAY, now - 9 * DAY, 1);
	merge(db, &late, 1, NULL);
	while ((rc = eir_obs_expire(db, now - DAY, 0, 15, &expired)) == 0)
		total += expired;
	assert_int_equal(rc, 1);
	total += expired;
	assert_int_equal(total, 20);
	assert_int_equal(get_stat(db).pairs, 21);
	assert_int_equal(eir_obs_expire(db, now - DAY, 0, 100, &expired), 1);
	assert_int_equal(expired, 1);
	assert_int_equal(get_stat(db).pairs, 20);
	eir_obs_close(db);
	tmpdir_free(dir);
}

static void test_cap_evicts_oldest(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	uint32_t now = (uint32_t)time(NULL), today = now / DAY * DAY;
	struct eir_obs b[100];
	uint64_t expired;
	struct collect c = { .n = 0 };

	/* Ten pairs on each of the last ten days. */
	for (int i = 0; i < 100; i++)
		b[i] = obs(IMEI_A + (uint64_t)(i * 7919 % 100), imsi_of("432110000000001") + (uint64_t)i,
			   today - 20 * DAY, today - (uint32_t)(i / 10) * DAY + 3600, 1);
	merge(db, b, 100, NULL);
	/* The first pass learns the days; it cannot cut yet. */
	assert_int_equal(eir_obs_expire(db, 0, 55, 1000, &expired), 1);
	assert_int_equal(expired, 0);
	/* The next cuts the oldest whole days until 55 or fewer remain. */
	assert_int_equal(eir_obs_expire(db, 0, 55, 1000, &expired), 1);
	assert_int_equal(expired, 50);
	assert_int_equal(get_stat(db).pairs, 50);
	assert_int_equal(eir_obs_walk_pairs(db, 0, UINT32_MAX, collect_pair, &c), 0);
	for (size_t i = 0; i < c.n; i++)
		assert_true(c.o[i].last_seen >= today - 4 * DAY);
	/* Under the cap: nothing more goes. */
	assert_int_equal(eir_obs_expire(db, 0, 55, 1000, &expired), 1);
	assert_int_equal(expired, 0);
	/* A lower cap in small steps: the cutoff holds for the whole pass. */
	uint64_t total = 0;
	int rc;
	while ((rc = eir_obs_expire(db, 0, 25, 7, &expired)) == 0)
		total += expired;
	total += expired;
	assert_int_equal(rc, 1);
	assert_int_equal(total, 30);
	assert_int_equal(get_stat(db).pairs, 20);
	assert_int_equal(get_stat(db).expired, 80);
	assert_int_equal(get_stat(db).oldest_seen, today - DAY + 3600);
	eir_obs_close(db);
	tmpdir_free(dir);
}

static void test_map_full_writes_nothing(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen_map(dir, 1ULL << 20);
	size_t n = 100000;
	struct eir_obs *b = calloc(n, sizeof(*b));
	struct eir_obs_merge_stats ms;
	struct eir_obs small[2] = { obs(IMEI_A, imsi_of("432110000000001"), T0, T0 + 1, 1),
				    obs(IMEI_B, 0, T0, T0 + 2, 1) };

	merge(db, small, 2, NULL);
	struct eir_obs_stat before = get_stat(db);
	for (size_t i = 0; i < n; i++)
		b[i] = obs(30000000000000ULL + i * 3, imsi_of("432110000000001") + i, T0 - 5, T0 + 9, 1);
	assert_int_equal(eir_obs_merge(db, b, n, &ms), -ENOSPC);
	assert_int_equal(ms.new_pairs, 0);
	struct eir_obs_stat after = get_stat(db);
	assert_int_equal(after.pairs, before.pairs);
	assert_int_equal(after.imeis, before.imeis);
	assert_int_equal(after.imsis, before.imsis);
	assert_int_equal(after.oldest_seen, before.oldest_seen);
	assert_int_equal(after.newest_seen, before.newest_seen);
	assert_int_equal(after.map_bytes, 1ULL << 20);
	/* Still usable. */
	merge(db, b, 100, NULL);
	assert_int_equal(get_stat(db).pairs, 102);
	free(b);
	eir_obs_close(db);
	tmpdir_free(dir);
}

static void test_reopen_and_stat(void **state)
{
	char *dir = tmpdir_new();
	char sub[512], err[256] = "", path[600];
	struct eir_obs_db *db;
	struct eir_obs e = obs(IMEI_A, imsi_of("432110000000001"), T0, T0 + 60, 9);
	struct stat fst;
	time_t t = time(NULL);
	mode_t mask = umask(0);

	umask(mask);

	/* The writer creates DIR (and its parents) 0750. */
	snprintf(sub, sizeof(sub), "%s/var/observed", dir);
	assert_int_equal(eir_obs_open(&db, sub, false, 0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, sub));
	db = wopen_map(sub, 8ULL << 20);
	assert_int_equal(stat(sub, &fst), 0);
	assert_int_equal(fst.st_mode & 0777, 0750 & ~mask);
	e.msisdn = imsi_of("989120000001");
	merge(db, &e, 1, NULL);
	eir_obs_close(db);

	db = ropen(sub);
	struct eir_obs_stat st = get_stat(db);
	assert_int_equal(st.pairs, 1);
	assert_int_equal(st.imeis, 1);
	assert_int_equal(st.imsis, 1);
	assert_int_equal(st.oldest_seen, T0 + 60);
	assert_int_equal(st.newest_seen, T0 + 60);
	assert_true(st.created >= (uint64_t)t - 5 && st.created <= (uint64_t)t + 5);
	assert_int_equal(st.expired, 0);
	assert_int_equal(st.map_bytes, 8ULL << 20);
	snprintf(path, sizeof(path), "%s/data.mdb", sub);
	assert_int_equal(stat(path, &fst), 0);
	assert_int_equal(fst.st_mode & 0777, 0640 & ~mask);
	assert_int_equal(st.file_bytes, (uint64_t)fst.st_size);
	assert_true(st.used_bytes > 0 && st.used_bytes <= st.file_bytes);
	struct eir_obs o = get_pair(db, IMEI_A, e.imsi);
	assert_int_equal(o.count, 9);
	assert_true(o.msisdn == e.msisdn);
	/* A reader does not write. */
	assert_int_equal(eir_obs_merge(db, &e, 1, NULL), -EBADF);
	eir_obs_close(db);

	/* A writer again: everything kept, and it adds to it. */
	db = wopen(sub);
	e.imei = IMEI_B;
	merge(db, &e, 1, NULL);
	assert_int_equal(get_stat(db).pairs, 2);
	assert_int_equal(get_stat(db).imsis, 1);
	assert_int_equal(get_pair(db, IMEI_A, e.imsi).count, 9);
	eir_obs_close(db);
	tmpdir_free(dir);
}

/* Write into the meta with LMDB directly: a store of another schema, or
 * no mark at all. */
static void poke_meta(const char *dir, const char *key, const void *val, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(key), (void *)key }, d = { n, (void *)val };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
	if (val)
		assert_int_equal(mdb_put(txn, dbi, &k, &d, 0), 0);
	else
		assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void test_schema_and_foreign(void **state)
{
	char *dir = tmpdir_new(), *other = tmpdir_new();
	struct eir_obs_db *db;
	char err[256] = "";
	uint8_t v2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };

	db = wopen(dir);
	eir_obs_close(db);
	poke_meta(dir, "schema", v2, 8);
	assert_int_equal(eir_obs_open(&db, dir, false, 0, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "observation store schema version 2, this build reads version 1"));
	assert_non_null(strstr(err, dir));
	err[0] = '\0';
	assert_int_equal(eir_obs_open(&db, dir, true, 0, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "schema version 2"));

	/* A registry generation (its own "schema" key, no format mark). */
	poke_meta(other, "schema", (uint8_t[8]){ 0, 0, 0, 0, 0, 0, 0, 1 }, 8);
	assert_int_equal(eir_obs_open(&db, other, true, 0, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not an observation store"));
	assert_int_equal(eir_obs_open(&db, other, false, 0, err, sizeof(err)), -EPROTO);
	tmpdir_free(dir);
	tmpdir_free(other);
}

/* Two processes: the reader sees a commit at its next begin, not before. */
static void test_reader_beside_writer(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir), *r;
	uint64_t s1 = imsi_of("432110000000001");
	struct eir_obs e = obs(IMEI_A, s1, T0, T0 + 1, 1), o;
	int go[2], done[2], status;
	char c = 0;
	pid_t pid;

	merge(db, &e, 1, NULL);
	eir_obs_close(db);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct eir_obs_db *w;
		struct eir_obs f = obs(IMEI_B, s1, T0, T0 + 5, 1);
		char msg[256];

		if (read(go[0], &c, 1) != 1 || eir_obs_open(&w, dir, true, 64ULL << 20, msg, sizeof(msg)))
			_exit(1);
		f.count = 5;
		if (eir_obs_merge(w, &f, 1, NULL))
			_exit(2);
		f.imei = IMEI_A;
		if (eir_obs_merge(w, &f, 1, NULL))
			_exit(3);
		eir_obs_close(w);
		_exit(write(done[1], "x", 1) == 1 ? 0 : 4);
	}
	r = ropen(dir);
	assert_int_equal(eir_obs_begin(r), 0);
	assert_int_equal(eir_obs_get_pair(r, IMEI_A, s1, &o), 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The open snapshot still shows the old state... */
	assert_int_equal(eir_obs_get_pair(r, IMEI_B, s1, &o), -ENOENT);
	assert_int_equal(eir_obs_get_pair(r, IMEI_A, s1, &o), 0);
	assert_int_equal(o.count, 1);
	/* ...the next batch all of it. */
	eir_obs_end(r);
	assert_int_equal(eir_obs_begin(r), 0);
	assert_int_equal(eir_obs_get_pair(r, IMEI_B, s1, &o), 0);
	assert_int_equal(eir_obs_get_pair(r, IMEI_A, s1, &o), 0);
	assert_int_equal(o.count, 6);
	struct collect col = { .n = 0 };
	assert_int_equal(eir_obs_walk_imsi(r, s1, collect_pair, &col), 0);
	assert_int_equal(col.n, 2);
	eir_obs_close(r);
	close(go[0]), close(go[1]), close(done[0]), close(done[1]);
	tmpdir_free(dir);
}

/* One handle, as eird uses it: the writer thread merges while the main
 * thread reads in begin/end batches. */
struct writer_thread {
	struct eir_obs_db *db;
	int batches, rc;
};

static void *writer_main(void *arg)
{
	struct writer_thread *w = arg;
	struct eir_obs b[100];

	for (int k = 0; k < w->batches && !w->rc; k++) {
		for (int i = 0; i < 100; i++)
			b[i] = obs(IMEI_A + (uint64_t)i, (uint64_t)k + 1, T0, T0 + (uint32_t)k, 1);
		w->rc = eir_obs_merge(w->db, b, 100, NULL);
	}
	return NULL;
}

static void test_one_handle_two_threads(void **state)
{
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen(dir);
	struct writer_thread w = { .db = db, .batches = 50 };
	struct eir_obs_stat st;
	uint64_t last = 0;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(eir_obs_begin(db), 0);
		assert_int_equal(eir_obs_stat(db, &st), 0);
		/* Whole batches only, never fewer than before. */
		assert_int_equal(st.pairs % 100, 0);
		assert_true(st.pairs >= last);
		last = st.pairs;
		eir_obs_end(db);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(get_stat(db).pairs, 5000);
	eir_obs_close(db);
	tmpdir_free(dir);
}

/* Not a timed test: the rate is printed for information. The sizes
 * default small; EIR_OBS_RATE_STORE and EIR_OBS_RATE_BATCH set them. */
static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct eir_obs rate_pair(uint64_t i, uint32_t t)
{
	uint64_t r = mix(i);
	struct eir_obs o = obs(35000000000000ULL + r % 10000000000000ULL,
			       (15ULL << 56) | (432110000000000ULL + (r >> 20) % 1000000000ULL), t, t, 1);

	o.msisdn = r % 4 ? 0 : (12ULL << 56) | (989120000000ULL + r % 1000000);
	return o;
}

static void test_merge_rate(void **state)
{
	const char *e1 = getenv("EIR_OBS_RATE_STORE"), *e2 = getenv("EIR_OBS_RATE_BATCH");
	size_t store = e1 ? strtoull(e1, NULL, 10) : 200000, batch = e2 ? strtoull(e2, NULL, 10) : 50000;
	char *dir = tmpdir_new();
	struct eir_obs_db *db = wopen_map(dir, 4ULL << 30);
	struct eir_obs *b = malloc((batch > 100000 ? batch : 100000) * sizeof(*b));
	struct eir_obs_merge_stats ms;
	struct timespec t0;
	double s;

	for (size_t done = 0; done < store; done += 100000) {
		size_t n = store - done < 100000 ? store - done : 100000;
		for (size_t i = 0; i < n; i++)
			b[i] = rate_pair(done + i, T0);
		merge(db, b, n, NULL);
	}
	struct eir_obs_stat st = get_stat(db);
	eir_obs_end(db);
	/* New pairs, unsorted. */
	for (size_t i = 0; i < batch; i++)
		b[i] = rate_pair(store + i, T0 + 60);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	merge(db, b, batch, &ms);
	s = since(&t0);
	print_message("merge: %zu new pairs into a store of %llu: %.3f s, %.0f pairs/s\n", batch,
		      (unsigned long long)st.pairs, s, (double)batch / s);
	/* Updates of stored pairs, spread over the whole store. */
	for (size_t i = 0; i < batch; i++)
		b[i] = rate_pair(i * (store / batch), T0 + 120);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	merge(db, b, batch, &ms);
	s = since(&t0);
	assert_int_equal(ms.updated, batch);
	print_message("merge: %zu updates in a store of %llu: %.3f s, %.0f pairs/s\n", batch,
		      (unsigned long long)(st.pairs + batch), s, (double)batch / s);
	st = get_stat(db);
	print_message("store: %llu pairs, %llu IMEIs, %llu IMSIs, %llu bytes used, %.1f bytes per pair\n",
		      (unsigned long long)st.pairs, (unsigned long long)st.imeis,
		      (unsigned long long)st.imsis, (unsigned long long)st.used_bytes,
		      (double)st.used_bytes / (double)st.pairs);
	free(b);
	eir_obs_close(db);
	tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_semantics),
		cmocka_unit_test(test_counts_and_imei_entry),
		cmocka_unit_test(test_imsi_zero_and_index),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_expire_resumes),
		cmocka_unit_test(test_cap_evicts_oldest),
		cmocka_unit_test(test_map_full_writes_nothing),
		cmocka_unit_test(test_reopen_and_stat),
		cmocka_unit_test(test_schema_and_foreign),
		cmocka_unit_test(test_reader_beside_writer),
		cmocka_unit_test(test_one_handle_two_threads),
		cmocka_unit_test(test_merge_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
