/* bench-reader: eir_check() lookups from one reader process for a while,
 * the way eird reads (64 lookups per batch), reporting lookups/s per
 * quarter second (median and minimum), the slowest batch, the generations
 * it followed and any error. Run it idle and while eir-sync imports to see
 * whether imports disturb readers.
 * Usage: bench-reader DIR SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imei.h"
#include "policy.h"
#include "store.h"

#define SAMPLE 65536
#define BATCH 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int first_key(void *ctx, uint64_t imei, const struct eir_record *rec,
		     const uint64_t *imsis, size_t n)
{
	*(uint64_t *)ctx = imei;
	return 1;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct eir_store *s;
	struct eir_policy pol;
	static uint64_t keys[SAMPLE];
	static double rates[4096];
	uint64_t rnd = 88172645463325252ULL, errors = 0, total = 0;
	double secs, t_end, t_slot, worst = 0;
	size_t nrates = 0, slot_n = 0;
	char err[512];

	if (argc != 3) {
		fprintf(stderr, "usage: bench-reader DIR SECONDS\n");
		return 2;
	}
	secs = atof(argv[2]);
	if (eir_store_open(&s, argv[1], err, sizeof(err))) {
		fprintf(stderr, "bench-reader: %s\n", err);
		return 1;
	}
	eir_policy_defaults(&pol);
	/* Present keys: the first IMEI at or after random points; absent:
	 * those plus one (eir-gen never makes adjacent keys). */
	for (size_t i = 0; i < SAMPLE; i++) {
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		uint64_t k = 0;
		eir_store_walk_imei(s, rnd % EIR_IMEI_MAX, EIR_IMEI_MAX, first_key, &k);
		keys[i] = k + (i & 1);
	}
	eir_store_end(s);
	t_end = now_s() + secs;
	t_slot = now_s();
	while (now_s() < t_end && nrates < 4096) {
		double t0 = now_s();
		if (eir_store_begin(s))
			errors++;
		for (int j = 0; j < BATCH; j++) {
			struct eir_query q = { .imei = { .svn = -1 } };
			struct eir_result r;
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			q.imei.key = keys[rnd % SAMPLE];
			eir_check(s, &pol, &q, time(NULL), &r);
			errors += r.branch == EIR_BR_FAILURE;
		}
		eir_store_end(s);
		double t1 = now_s();
		if (t1 - t0 > worst)
			worst = t1 - t0;
		slot_n += BATCH;
		total += BATCH;
		if (t1 - t_slot >= 0.25) {
			rates[nrates++] = (double)slot_n / (t1 - t_slot);
			slot_n = 0;
			t_slot = t1;
		}
	}
	qsort(rates, nrates, sizeof(double), cmp_d);
	printf("lookups: %llu, median %.0f/s, min %.0f/s over %zu quarter-seconds; slowest batch %.0f us; "
	       "generations followed %llu; failures %llu\n",
	       (unsigned long long)total, nrates ? rates[nrates / 2] : 0, nrates ? rates[0] : 0, nrates,
	       worst * 1e6, (unsigned long long)eir_store_reopen_count(s), (unsigned long long)errors);
	eir_store_close(s);
	return errors ? 1 : 0;
}
