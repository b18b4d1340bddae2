/* Latency histogram (hist.h). */
#include <string.h>

#include "hist.h"

static const uint32_t bounds_us[EIR_HIST_BUCKETS - 1] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
	10000, 20000, 50000, 100000, 200000, 500000, 1000000,
};

uint32_t eir_hist_bound_us(unsigned i)
{
	return i < EIR_HIST_BUCKETS - 1 ? bounds_us[i] : 0;
}

void eir_hist_add_n(struct eir_hist *h, uint64_t ns, uint64_t n)
{
	unsigned i = 0;

	while (i < EIR_HIST_BUCKETS - 1 && ns > (uint64_t)bounds_us[i] * 1000)
		i++;
	h->bucket[i] += n;
	h->count += n;
	h->sum_ns += ns * n;
}

void eir_hist_add(struct eir_hist *h, uint64_t ns)
{
	eir_hist_add_n(h, ns, 1);
}

double eir_hist_percentile(const struct eir_hist *h, double p)
{
	uint64_t acc = 0;
	double want;

	if (!h->count)
		return 0;
	want = p * (double)h->count;
	for (unsigned i = 0; i < EIR_HIST_BUCKETS; i++) {
		if (!h->bucket[i] || (double)(acc + h->bucket[i]) < want) {
			acc += h->bucket[i];
			continue;
		}
		double lo = i ? bounds_us[i - 1] : 0;
		double hi = i < EIR_HIST_BUCKETS - 1 ? bounds_us[i] : lo * 2;
		return lo + (hi - lo) * (want - (double)acc) / (double)h->bucket[i];
	}
	return bounds_us[EIR_HIST_BUCKETS - 2];
}

void eir_hist_reset(struct eir_hist *h)
{
	memset(h, 0, sizeof(*h));
}
