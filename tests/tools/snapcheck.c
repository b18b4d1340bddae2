/* snapcheck: parse a native snapshot from a file or stdin and print its
 * header and rows in a canonical form, or the first error as file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "snapshot.h"

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "-";
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	struct eir_snap_parser p;
	struct eir_snap_row row;
	char *line = NULL, err[256], imsi[16];
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int ret = 0;

	if (!f) {
		perror(name);
		return 2;
	}
	eir_snap_init(&p);
	while ((n = getline(&line, &cap, f)) > 0) {
		int rc = eir_snap_parse_line(&p, line, (size_t)n, &row, err, sizeof(err));
		lineno++;
		if (rc < 0) {
			fprintf(stderr, "%s:%lu: %s\n", name, lineno, err);
			ret = 1;
			goto out;
		}
		if (rc != EIR_SNAP_LINE_ROW)
			continue;
		printf("%s %014llu-%014llu %s reason=%s until=%u locked=%d imsi=",
		       row.op == EIR_SNAP_DEL ? "del" : "set", (unsigned long long)row.first,
		       (unsigned long long)row.last, eir_status_name(row.rec.status), row.reason,
		       row.rec.valid_until, !!(row.rec.flags & EIR_REC_LOCKED));
		for (size_t i = 0; i < row.n_imsis; i++) {
			eir_imsi_format(row.imsis[i], imsi);
			printf("%s%s", i ? ";" : "", imsi);
		}
		printf("\n");
	}
	if (eir_snap_finish(&p, err, sizeof(err))) {
		fprintf(stderr, "%s:%lu: %s\n", name, lineno, err);
		ret = 1;
		goto out;
	}
	printf("header kind=%s seq=%llu source=%s rows=%llu\n",
	       p.hdr.kind == EIR_SNAP_DELTA ? "delta" : "full", (unsigned long long)p.hdr.seq,
	       p.hdr.source, (unsigned long long)p.rows);
out:
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}
