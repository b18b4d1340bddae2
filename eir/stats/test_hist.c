/* Unit tests: latency histogram buckets and percentiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hist.h"

static void test_buckets(void **state)
{
	struct eir_hist h = { 0 };

	eir_hist_add(&h, 0);		/* <= 1 us */
	eir_hist_add(&h, 1000);		/* exactly 1 us: first bucket */
	eir_hist_add(&h, 1001);		/* just above: second */
	eir_hist_add(&h, 150000);	/* 150 us: (100, 200] */
	eir_hist_add(&h, 2000000000);	/* 2 s: overflow */
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[7], 1);
	assert_int_equal(h.bucket[EIR_HIST_BUCKETS - 1], 1);
	assert_int_equal(h.count, 5);
	assert_true(h.sum_ns == 2000152001ULL);
	assert_int_equal(eir_hist_bound_us(0), 1);
	assert_int_equal(eir_hist_bound_us(18), 1000000);
	assert_int_equal(eir_hist_bound_us(19), 0);
}

static void test_percentiles(void **state)
{
	struct eir_hist h = { 0 };

	assert_true(eir_hist_percentile(&h, 0.5) == 0);
	/* 100 samples at 150 us, 1 at 40 ms. */
	for (int i = 0; i < 100; i++)
		eir_hist_add(&h, 150000);
	eir_hist_add(&h, 40000000);
	double p50 = eir_hist_percentile(&h, 0.5), p99 = eir_hist_percentile(&h, 0.99),
	       p999 = eir_hist_percentile(&h, 0.999);
	assert_true(p50 > 100 && p50 <= 200);
	assert_true(p99 > 100 && p99 <= 200);
	assert_true(p999 > 20000 && p999 <= 50000);
	eir_hist_reset(&h);
	assert_int_equal(h.count, 0);
	eir_hist_add_n(&h, 3000, 16);	/* a batch of 16 answered after 3 us */
	assert_int_equal(h.bucket[2], 16);
	assert_int_equal(h.count, 16);
	assert_true(h.sum_ns == 48000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
	};
	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
