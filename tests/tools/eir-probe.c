/* eir-probe: a reader that loops over lookup batches while eir-sync writes,
 * the way eird reads. Probe IMEIs PROBE_BASE+k (k < count) carry, in every
 * snapshot, valid_until = 2026-01-01 + seq days; each batch reads the seq
 * from the meta and checks every probe against it, so a partly applied
 * snapshot shows up as a mismatch. Runs until STOPFILE exists.
 * Usage: eir-probe DIR COUNT STOPFILE   Prints: batches=N seqs=M reopens=R */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "store.h"

#define PROBE_BASE 99000050000000ULL
#define T0 1767225600ULL

int main(int argc, char **argv)
{
	struct eir_store *s = NULL;
	uint64_t batches = 0, seqs = 0, last_seq = 0, count;
	char err[512];

	if (argc != 4) {
		fprintf(stderr, "usage: eir-probe DIR COUNT STOPFILE\n");
		return 2;
	}
	count = strtoull(argv[2], NULL, 10);
	/* The database may not exist yet when we start. */
	while (eir_store_open(&s, argv[1], err, sizeof(err))) {
		if (access(argv[3], F_OK) == 0) {
			fprintf(stderr, "eir-probe: %s\n", err);
			return 1;
		}
		usleep(10000);
	}
	for (;;) {
		struct eir_meta m;
		int stop = access(argv[3], F_OK) == 0;

		if (eir_store_begin(s) || eir_store_get_meta(s, &m)) {
			fprintf(stderr, "eir-probe: cannot begin a batch\n");
			return 1;
		}
		for (uint64_t k = 0; k < count; k++) {
			struct eir_record rec;
			int rc = eir_store_get(s, PROBE_BASE + k, &rec);
			if (rc) {
				fprintf(stderr, "eir-probe: seq %llu: probe %llu: %s\n",
					(unsigned long long)m.seq, (unsigned long long)k, strerror(-rc));
				return 1;
			}
			if (rec.valid_until != T0 + m.seq * 86400) {
				fprintf(stderr, "eir-probe: mixed state: meta seq %llu, probe %llu from seq %llu\n",
					(unsigned long long)m.seq, (unsigned long long)k,
					(unsigned long long)((rec.valid_until - T0) / 86400));
				return 1;
			}
		}
		eir_store_end(s);
		batches++;
		if (m.seq != last_seq)
			seqs++, last_seq = m.seq;
		if (stop)
			break;
	}
	printf("batches=%llu seqs=%llu reopens=%llu\n", (unsigned long long)batches,
	       (unsigned long long)seqs, (unsigned long long)eir_store_reopen_count(s));
	eir_store_close(s);
	return 0;
}
