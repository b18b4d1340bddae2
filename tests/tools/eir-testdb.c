/* eir-testdb: build an EIR database through the writer API from a small
 * whitespace-separated row file, for tests and the demo. One row per line:
 *   imei IMEI STATUS [reason=R] [until=DATE] [imsi=I1;I2] [lock]
 *   range FIRST LAST STATUS [reason=R] [until=DATE]
 *   meta SEQ SOURCE
 *   del IMEI
 * Usage: eir-testdb [--update] DIR FILE */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imei.h"
#include "record.h"
#include "store.h"
#include "timefmt.h"

static int fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "eir-testdb: %s:%d: %s\n", file, line, what);
	return 2;
}

static int parse_key(const char *s, uint64_t *key)
{
	struct eir_imei imei;

	if (eir_imei_parse(s, strlen(s), EIR_IMEI_STRICT_CD, &imei))
		return -1;
	*key = imei.key;
	return 0;
}

/* Refuse the file: the writer drops everything written so far. */
#define FAIL(msg) do { rc = fail(file, lineno, msg); goto out; } while (0)

int main(int argc, char **argv)
{
	struct eir_writer_opts opts = { .mode = EIR_WRITE_REPLACE };
	struct eir_writer *w;
	char line[1024], err[512];
	const char *dir, *file;
	int lineno = 0, argi = 1, rc;
	FILE *f;

	if (argc > 1 && !strcmp(argv[1], "--update")) {
		opts.mode = EIR_WRITE_UPDATE;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: eir-testdb [--update] DIR FILE\n");
		return 2;
	}
	dir = argv[argi];
	file = argv[argi + 1];
	f = fopen(file, "r");
	if (!f) {
		perror(file);
		return 2;
	}
	rc = eir_writer_open(&w, dir, &opts, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eir-testdb: %s\n", err);
		fclose(f);
		return 3;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tok[16];
		int n = 0;
		struct eir_record rec = { 0 };
		uint64_t imsis[EIR_MAX_PAIRS], a, b;
		size_t nimsi = 0;

		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		for (char *t = strtok(line, " \t"); t && n < 16; t = strtok(NULL, " \t"))
			tok[n++] = t;
		if (!n)
			continue;
		if (!strcmp(tok[0], "meta") && n == 3) {
			struct eir_meta m = { .seq = strtoull(tok[1], NULL, 10), .kind = "full" };
			snprintf(m.source, sizeof(m.source), "%s", tok[2]);
			eir_writer_set_meta(w, &m);
			continue;
		}
		if (!strcmp(tok[0], "del") && n == 2) {
			if (parse_key(tok[1], &a))
				FAIL("bad IMEI");
			eir_writer_del(w, a);
			continue;
		}
		int first_opt = !strcmp(tok[0], "range") ? 4 : 3;
		if (n < first_opt)
			FAIL("too few fields");
		rec.status = (uint8_t)eir_status_from_name(tok[first_opt - 1], strlen(tok[first_opt - 1]));
		if (rec.status == EIR_STATUS_NONE)
			FAIL("unknown status");
		for (int i = first_opt; i < n; i++) {
			if (!strncmp(tok[i], "reason=", 7)) {
				rec.reason = eir_writer_reason(w, tok[i] + 7);
			} else if (!strncmp(tok[i], "until=", 6)) {
				uint64_t t;
				if (eir_time_parse(tok[i] + 6, strlen(tok[i] + 6), &t))
					FAIL("bad date");
				rec.valid_until = (uint32_t)t;
			} else if (!strncmp(tok[i], "imsi=", 5)) {
				for (char *p = strtok(tok[i] + 5, ";"); p; p = strtok(NULL, ";")) {
					if (nimsi == EIR_MAX_PAIRS || eir_imsi_parse(p, strlen(p), &imsis[nimsi++]))
						FAIL("bad IMSI");
				}
			} else if (!strcmp(tok[i], "lock")) {
				rec.flags |= EIR_REC_LOCKED;
			} else {
				FAIL("unknown option");
			}
		}
		if (!strcmp(tok[0], "imei")) {
			if (parse_key(tok[1], &a))
				FAIL("bad IMEI");
			eir_writer_put(w, a, &rec, imsis, nimsi);
		} else if (!strcmp(tok[0], "range")) {
			if (parse_key(tok[1], &a) || parse_key(tok[2], &b))
				FAIL("bad range");
			eir_writer_put_range(w, a, b, &rec);
		} else {
			FAIL("unknown row kind");
		}
	}
	fclose(f);
	rc = eir_writer_commit(w, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eir-testdb: %s\n", err);
		return 1;
	}
	return 0;
out:
	eir_writer_abort(w);
	fclose(f);
	return rc;
}
