/* Latency histogram: log buckets from 1 us to 1 s (1-2-5 steps) and an
 * overflow bucket, with percentiles interpolated inside a bucket. */
#pragma once

#include <stdint.h>

#define EIR_HIST_BUCKETS 20	/* 19 bounds from 1 us to 1 s, then +Inf */

struct eir_hist {
	uint64_t bucket[EIR_HIST_BUCKETS];
	uint64_t count;
	uint64_t sum_ns;
};

/* Upper bound of bucket i in microseconds; 0 for the +Inf bucket. */
uint32_t eir_hist_bound_us(unsigned i);
void eir_hist_add(struct eir_hist *h, uint64_t ns);
/* n samples of the same latency (a batch answered together). */
void eir_hist_add_n(struct eir_hist *h, uint64_t ns, uint64_t n);
/* p in (0, 1]: the latency in microseconds below which a fraction p of the
 * samples lies; 0 without samples. */
double eir_hist_percentile(const struct eir_hist *h, double p);
void eir_hist_reset(struct eir_hist *h);
