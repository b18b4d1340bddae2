/* Runs a libFuzzer harness without libFuzzer: every file named on the
 * command line (or in a named directory), then a fixed number of inputs
 * mutated from them with a seeded generator. Lets the gcc build and the
 * sanitizer build replay the corpus as an ordinary test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define SEED_MAX 2048

static uint8_t seeds[MAX_SEEDS][SEED_MAX];
static size_t seed_len[MAX_SEEDS], nseeds;

static void load(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (!f || nseeds == MAX_SEEDS) {
		if (f)
			fclose(f);
		return;
	}
	seed_len[nseeds] = fread(seeds[nseeds], 1, SEED_MAX, f);
	fclose(f);
	LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
	nseeds++;
}

static void load_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char sub[4096];
	DIR *d;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		load(path);
		return;
	}
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		load(sub);
	}
	if (d)
		closedir(d);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	unsigned long runs = 200000;
	uint8_t buf[SEED_MAX];

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-runs=", 6))
			runs = strtoul(argv[i] + 6, NULL, 10);
		else
			load_path(argv[i]);
	}
	for (unsigned long r = 0; r < runs; r++) {
		size_t n;
		if (nseeds && next() % 4) {
			size_t s = next() % nseeds;
			n = seed_len[s];
			memcpy(buf, seeds[s], n);
			for (unsigned k = 1 + next() % 3; k--;) {
				switch (next() % 4) {
				case 0: if (n) buf[next() % n] = (uint8_t)next(); break;
				case 1: if (n) buf[next() % n] ^= (uint8_t)(1u << (next() % 8)); break;
				case 2: if (n) n--; break;
				case 3: if (n < SEED_MAX) buf[n++] = (uint8_t)("0123456789-fimesv,;:#\n"[next() % 22]); break;
				}
			}
		} else {
			n = next() % 24;
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)(next() % 3 ? '0' + next() % 10 : next());
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%zu seeds, %lu generated inputs: no crash\n", nseeds, runs);
	return 0;
}
