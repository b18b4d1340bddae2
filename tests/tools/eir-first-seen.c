/* eir-first-seen: print the imported first sightings of an EIR database,
 * for tests: every one in key order, or those of the IMEIs named, one
 * "IMEI TIME" line each (TIME as first-seen files write it, "-" for none).
 * Exit 0, 1 when a named IMEI has none, 2 on an error.
 * Usage: eir-first-seen DIR [IMEI...] */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "imei.h"
#include "store.h"

static const char *iso(uint32_t t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static int print_cb(void *ctx, uint64_t imei, uint32_t t)
{
	char when[32];

	(void)ctx;
	printf("%014llu %s\n", (unsigned long long)imei, iso(t, when, sizeof(when)));
	return 0;
}

int main(int argc, char **argv)
{
	struct eir_store *s;
	char err[512], when[32];
	int rc, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: eir-first-seen DIR [IMEI...]\n");
		return 2;
	}
	if (eir_store_open(&s, argv[1], err, sizeof(err))) {
		fprintf(stderr, "eir-first-seen: %s\n", err);
		return 2;
	}
	if (argc == 2) {
		rc = eir_store_walk_first_seen(s, 0, EIR_IMEI_MAX, print_cb, NULL);
		if (rc) {
			fprintf(stderr, "eir-first-seen: %s\n", strerror(-rc));
			ret = 2;
		}
	}
	for (int i = 2; i < argc; i++) {
		struct eir_imei imei;
		uint32_t t;

		if (eir_imei_parse(argv[i], strlen(argv[i]), EIR_IMEI_STRICT_CD, &imei)) {
			fprintf(stderr, "eir-first-seen: %s: not an IMEI\n", argv[i]);
			ret = 2;
			break;
		}
		rc = eir_store_get_first_seen(s, imei.key, &t);
		if (rc == 0) {
			printf("%014llu %s\n", (unsigned long long)imei.key, iso(t, when, sizeof(when)));
		} else if (rc == -ENOENT) {
			printf("%014llu -\n", (unsigned long long)imei.key);
			ret = ret ? ret : 1;
		} else {
			fprintf(stderr, "eir-first-seen: %014llu: %s\n", (unsigned long long)imei.key, strerror(-rc));
			ret = 2;
		}
	}
	eir_store_close(s);
	return ret;
}
