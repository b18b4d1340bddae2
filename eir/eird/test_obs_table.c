/* Unit tests of the in-memory observation batch: one entry per (IMEI,
 * IMSI), found again after every growth, the bound that turns a new pair
 * into a drop, clear for the next interval, and the grace starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "obs_table.h"

static void test_pairs(void **state)
{
	struct obs_table *t = obs_table_new(100000);
	struct eir_obs *e;
	bool is_new;
	size_t n;

	(void)state;
	assert_non_null(t);
	/* 50,000 IMEIs, each with two IMSIs and once without: 150,000 > max
	 * would drop, so 30,000 IMEIs: 90,000 pairs through many growths. */
	for (uint64_t i = 0; i < 30000; i++) {
		for (uint64_t s = 0; s < 3; s++) {
			e = obs_table_upsert(t, 35000000000000ULL + i * 7, s ? 1000 + s : 0, &is_new);
			assert_non_null(e);
			assert_true(is_new);
			assert_int_equal(e->count, 0);
			e->count = (uint32_t)(i * 3 + s + 1);
		}
	}
	assert_int_equal(obs_table_count(t), 90000);
	for (uint64_t i = 0; i < 30000; i++) {
		for (uint64_t s = 0; s < 3; s++) {
			e = obs_table_upsert(t, 35000000000000ULL + i * 7, s ? 1000 + s : 0, &is_new);
			assert_false(is_new);
			assert_int_equal(e->count, i * 3 + s + 1);
			assert_int_equal(e->imei, 35000000000000ULL + i * 7);
		}
	}
	assert_int_equal(obs_table_count(t), 90000);
	const struct eir_obs *all = obs_table_entries(t, &n);
	assert_int_equal(n, 90000);
	assert_int_equal(all[4].imei, 35000000000007ULL);
	assert_int_equal(all[4].imsi, 1001);
	obs_table_free(t);
}

static void test_bound_and_clear(void **state)
{
	struct obs_table *t = obs_table_new(1000);
	bool is_new;

	(void)state;
	for (uint64_t i = 0; i < 1000; i++)
		assert_non_null(obs_table_upsert(t, i + 1, 5, &is_new));
	/* Full: a new pair is refused, a known one still updates. */
	assert_null(obs_table_upsert(t, 5000, 5, &is_new));
	assert_null(obs_table_upsert(t, 1, 6, &is_new));
	assert_non_null(obs_table_upsert(t, 1000, 5, &is_new));
	assert_false(is_new);
	assert_int_equal(obs_table_count(t), 1000);
	obs_table_clear(t);
	assert_int_equal(obs_table_count(t), 0);
	assert_non_null(obs_table_upsert(t, 1000, 5, &is_new));
	assert_true(is_new);
	assert_non_null(obs_table_upsert(t, 5000, 5, &is_new));
	assert_int_equal(obs_table_count(t), 2);
	obs_table_free(t);
}

static void test_first(void **state)
{
	struct obs_table *t = obs_table_new(5000);
	uint32_t f;

	(void)state;
	/* IMEI 0 too: the empty mark is never a key. */
	assert_false(obs_table_first_get(t, 0, &f));
	obs_table_first_put(t, 0, 77);
	assert_true(obs_table_first_get(t, 0, &f));
	assert_int_equal(f, 77);
	for (uint32_t i = 1; i <= 4000; i++)
		obs_table_first_put(t, 99999999999999ULL - i, 1000 + i);
	for (uint32_t i = 1; i <= 4000; i++) {
		assert_true(obs_table_first_get(t, 99999999999999ULL - i, &f));
		assert_int_equal(f, 1000 + i);
	}
	/* The earlier start wins; a later one changes nothing. */
	obs_table_first_put(t, 99999999999998ULL, 5);
	obs_table_first_put(t, 99999999999998ULL, 50000);
	assert_true(obs_table_first_get(t, 99999999999998ULL, &f));
	assert_int_equal(f, 5);
	assert_false(obs_table_first_get(t, 12345, &f));
	/* Bounded like the pairs: beyond max IMEIs nothing more is kept. */
	for (uint32_t i = 0; i < 2000; i++)
		obs_table_first_put(t, 10000 + i, 1);
	assert_false(obs_table_first_get(t, 10000 + 1999, &f));
	assert_int_equal(obs_table_first_count(t), 4001 + 999);
	/* A merge keeps the earlier of both. */
	struct obs_table *u = obs_table_new(5000);
	obs_table_first_put(u, 99999999999998ULL, 3);
	obs_table_first_put(u, 0, 1000);
	obs_table_first_merge(u, t);
	assert_true(obs_table_first_get(u, 99999999999998ULL, &f));
	assert_int_equal(f, 3);
	assert_true(obs_table_first_get(u, 0, &f));
	assert_int_equal(f, 77);
	assert_true(obs_table_first_get(u, 99999999999999ULL - 4000, &f));
	assert_int_equal(f, 5000);
	obs_table_free(u);
	obs_table_clear(t);
	assert_false(obs_table_first_get(t, 0, &f));
	assert_int_equal(obs_table_first_count(t), 0);
	obs_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_bound_and_clear),
		cmocka_unit_test(test_first),
	};
	return cmocka_run_group_tests_name("obs_table", tests, NULL, NULL);
}
