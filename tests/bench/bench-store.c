/* bench-store: size and lookup speed of the EIR database.
 *
 * Builds a database of N IMEIs through the writer API (sorted bulk load,
 * a realistic status mix, some paired IMEIs and validity dates), reports
 * bytes per IMEI on disk, then times eir_check() on random IMEIs of which
 * half are present, against a bare mdb_get() of the same keys on the same
 * file measured in the same run (the floor any LMDB-backed EIR pays).
 *
 * Usage: bench-store [--count N] [--lookups M] [--rounds R] [--seed S] [--dir DIR] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "imei.h"
#include "policy.h"
#include "record.h"
#include "store.h"

#define BASE_IMEI 35000000000000ULL
#define STEP      100	/* keys are BASE + i*STEP + r, r < STEP-1: key+1 is never present */
#define BATCH     64	/* lookups per read-txn renewal, like one daemon loop turn */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* splitmix64: fast, seeded, reproducible */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The i-th key; deterministic from the seed so lookups can recompute it. */
static uint64_t key_of(uint64_t i, uint64_t seed)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return BASE_IMEI + i * STEP + (z >> 33) % (STEP - 1);
}

static enum eir_status status_of(uint64_t r)
{
	unsigned p = (unsigned)(r % 100);
	if (p < 62) return EIR_STATUS_ACTIVE;
	if (p < 75) return EIR_STATUS_REGISTERED;
	if (p < 80) return EIR_STATUS_TRAVELLER;
	if (p < 92) return EIR_STATUS_BLOCKED;
	if (p < 99) return EIR_STATUS_TRACKED;
	return EIR_STATUS_EXEMPT;
}

static int build(const char *dir, uint64_t n, uint64_t seed, double *secs)
{
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .sorted = true };
	struct eir_meta m = { .kind = "full", .seq = 1, .source = "bench-store" };
	struct eir_writer *w;
	uint8_t reasons[3];
	char err[512];
	double t0 = now_s();

	if (eir_writer_open(&w, dir, &o, err, sizeof(err))) {
		fprintf(stderr, "bench-store: %s\n", err);
		return -1;
	}
	reasons[0] = eir_writer_reason(w, "stolen");
	reasons[1] = eir_writer_reason(w, "lost");
	reasons[2] = eir_writer_reason(w, "counterfeit");
	rng_state = seed;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = rnd(), imsi[2];
		struct eir_record rec = { .status = (uint8_t)status_of(r) };
		size_t nimsi = 0;

		if (rec.status == EIR_STATUS_BLOCKED)
			rec.reason = reasons[(r >> 8) % 3];
		if (rec.status == EIR_STATUS_TRAVELLER)
			rec.valid_until = 1760000000 + (uint32_t)((r >> 16) % 50000000);
		if ((r >> 40) % 100 == 0) {	/* 1% paired, a quarter of those locked */
			nimsi = 1 + (r >> 48) % 2;
			imsi[0] = (15ULL << 56) | (432110000000000ULL + (r >> 20) % 1000000000);
			imsi[1] = imsi[0] + 1;
			if ((r >> 50) % 4 == 0)
				rec.flags = EIR_REC_LOCKED;
		}
		eir_writer_put(w, key_of(i, seed), &rec, imsi, nimsi);
	}
	eir_writer_set_meta(w, &m);
	if (eir_writer_commit(w, err, sizeof(err))) {
		fprintf(stderr, "bench-store: %s\n", err);
		return -1;
	}
	*secs = now_s() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n = 10000000, lookups = 2000000, seed = 1;
	int rounds = 5, c;
	char dirbuf[] = "/tmp/eir-bench-XXXXXX", cmd[256];
	const char *dir = NULL;

	while ((c = getopt_long(argc, argv, "n:l:r:s:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'l': lookups = strtoull(optarg, NULL, 10); break;
		case 'r': rounds = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		default:
			fprintf(stderr, "usage: bench-store [--count N] [--lookups M] [--rounds R] [--seed S] [--dir DIR]\n");
			return 2;
		}
	}
	if (n < 2 || rounds < 1 || rounds > 99 || lookups < BATCH)
		return 2;
	if (!dir && !(dir = mkdtemp(dirbuf))) {
		perror("mkdtemp");
		return 1;
	}

	double build_s;
	if (build(dir, n, seed, &build_s))
		return 1;

	struct eir_store *s;
	char err[512];
	if (eir_store_open(&s, dir, err, sizeof(err))) {
		fprintf(stderr, "bench-store: %s\n", err);
		return 1;
	}
	uint64_t size = eir_store_file_size(s);
	printf("records:            %llu\n", (unsigned long long)n);
	printf("build:              %.2f s (%.0f rows/s, sorted bulk load)\n", build_s, (double)n / build_s);
	printf("data file:          %llu bytes\n", (unsigned long long)size);
	printf("bytes per IMEI:     %.2f (target <= 40)\n", (double)size / (double)n);

	/* Queries: half present keys, half key+1 (never present), random order. */
	struct eir_query *q = calloc(lookups, sizeof(*q));
	uint8_t (*keys)[8] = calloc(lookups, 8);
	rng_state = seed ^ 0x5555;
	for (uint64_t i = 0; i < lookups; i++) {
		uint64_t k = key_of(rnd() % n, seed) + (i & 1);
		q[i].imei.key = k;
		q[i].imei.svn = -1;
		if (rnd() % 4 == 0)
			eir_imsi_parse("432110000000001", 15, &q[i].imsi);
		eir_u64_put(keys[i], k);
	}

	/* Baseline: bare mdb_get on the same generation, same batching. */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	if (mdb_env_open(env, eir_store_path(s), MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD, 0644)) {
		fprintf(stderr, "bench-store: cannot open %s for the baseline\n", eir_store_path(s));
		return 1;
	}
	mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	mdb_dbi_open(txn, EIR_DBI_IMEI, 0, &dbi);
	mdb_txn_commit(txn);
	mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	mdb_txn_reset(txn);

	struct eir_policy pol;
	eir_policy_defaults(&pol);
	double base_rate[99] = { 0 }, check_rate[99] = { 0 };
	uint64_t found = 0, branch[EIR_BRANCH_COUNT] = { 0 };
	time_t t = time(NULL);

	for (int r = 0; r < rounds; r++) {
		/* Interleave the two so drift on a noisy machine hits both. */
		double t0 = now_s();
		for (uint64_t i = 0; i < lookups; i += BATCH) {
			mdb_txn_renew(txn);
			for (uint64_t j = i; j < i + BATCH && j < lookups; j++) {
				MDB_val k = { 8, keys[j] }, d;
				found += mdb_get(txn, dbi, &k, &d) == 0;
			}
			mdb_txn_reset(txn);
		}
		base_rate[r] = (double)lookups / (now_s() - t0);

		t0 = now_s();
		for (uint64_t i = 0; i < lookups; i += BATCH) {
			eir_store_begin(s);
			for (uint64_t j = i; j < i + BATCH && j < lookups; j++) {
				struct eir_result res;
				eir_check(s, &pol, &q[j], t, &res);
				branch[res.branch]++;
			}
			eir_store_end(s);
		}
		check_rate[r] = (double)lookups / (now_s() - t0);
	}
	double mb = median(base_rate, rounds), mc = median(check_rate, rounds);
	printf("lookups per round:  %llu (half present, random order, %d per batch), %d rounds\n",
	       (unsigned long long)lookups, BATCH, rounds);
	printf("baseline mdb_get:   %.0f lookups/s (median)\n", mb);
	printf("eir_check:          %.0f lookups/s (median), %.2f us each\n", mc, 1e6 / mc);
	printf("ratio eir_check/mdb_get: %.2f\n", mc / mb);
	printf("present fraction:   %.3f\n", (double)found / (double)(lookups * (uint64_t)rounds));
	printf("branches:");
	for (int b = 0; b < EIR_BRANCH_COUNT; b++) {
		if (branch[b])
			printf(" %s=%llu", eir_branch_name(b), (unsigned long long)branch[b]);
	}
	printf("\n");
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS:           %ld MiB\n", ru.ru_maxrss / 1024);

	mdb_txn_abort(txn);
	mdb_env_close(env);
	eir_store_close(s);
	free(q);
	free(keys);
	if (dir == dirbuf) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-store: could not remove %s\n", dir);
	}
	return 0;
}
