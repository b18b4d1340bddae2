/* Runs a libFuzzer harness without libFuzzer: every file named on the
 * command line (or in a named directory), then a fixed number of inputs
 * mutated from them with a seeded generator. Lets the gcc build and the
 * sanitizer build replay the corpus as an ordinary test.
 *
 * A replay without seeds tests nothing: a named path that is missing or
 * unreadable, a directory without a seed file in it, or no path at all
 * ends the run with exit status 1 and says why. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define SEED_MAX 2048

/* The first MAX_SEEDS seeds (their first SEED_MAX bytes) are kept for the
 * mutations; every seed is replayed whole. */
static uint8_t seeds[MAX_SEEDS][SEED_MAX];
static size_t seed_len[MAX_SEEDS], nseeds;
static size_t replayed;
static const char *prog = "fuzz replay";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Replay one seed file. */
static void load(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		die("cannot read the seed %s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			data = realloc(data, cap);
			if (!data)
				die("%s: out of memory", path);
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		die("cannot read the seed %s: %s", path, strerror(errno));
	fclose(f);
	/* exactly as long as the seed, so that ASan sees a read past its end */
	data = realloc(data, len ? len : 1);
	if (!data)
		die("%s: out of memory", path);
	LLVMFuzzerTestOneInput(data, len);
	if (nseeds < MAX_SEEDS) {
		seed_len[nseeds] = len < SEED_MAX ? len : SEED_MAX;
		memcpy(seeds[nseeds], data, seed_len[nseeds]);
		nseeds++;
	}
	free(data);
	replayed++;
}

/* A seed file, or a corpus directory: its regular files, not those whose
 * name starts with a dot. */
static void load_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char sub[4096];
	size_t before = replayed;
	DIR *d;

	if (stat(path, &st) < 0)
		die("no corpus at %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		load(path);
		return;
	}
	d = opendir(path);
	if (!d)
		die("cannot read the corpus directory %s: %s", path, strerror(errno));
	errno = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &st) < 0)
			die("cannot read the seed %s: %s", sub, strerror(errno));
		if (S_ISREG(st.st_mode))
			load(sub);
		errno = 0;
	}
	if (errno)
		die("cannot read the corpus directory %s: %s", path, strerror(errno));
	closedir(d);
	if (replayed == before)
		die("no seed file in the corpus directory %s", path);
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

	if (argc > 0 && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');
		prog = slash ? slash + 1 : argv[0];
	}
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-runs=", 6))
			runs = strtoul(argv[i] + 6, NULL, 10);
		else
			load_path(argv[i]);
	}
	if (!replayed) {
		fprintf(stderr, "%s: no seeds: name the corpus directory or seed files\n"
			"usage: %s [-runs=N] CORPUS_DIR|SEED...\n", prog, prog);
		return 1;
	}
	printf("%s: replayed %zu seeds\n", prog, replayed);
	fflush(stdout);
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
	printf("%s: %zu seeds, %lu generated inputs: no crash\n", prog, replayed, runs);
	return 0;
}
