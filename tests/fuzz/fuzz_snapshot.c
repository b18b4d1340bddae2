/* libFuzzer harness: the native snapshot parser, fed the input line by
 * line. Every accepted row must be self-consistent. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "imei.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eir_snap_parser p;
	struct eir_snap_row row;
	const char *s = (const char *)data, *end = s + size;
	char err[256];

	eir_snap_init(&p);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s + 1) : (size_t)(end - s);
		int rc = eir_snap_parse_line(&p, s, n, &row, err, sizeof(err));

		if (rc < 0) {
			assert(err[0]);
			break;
		}
		if (rc == EIR_SNAP_LINE_ROW) {
			assert(row.first <= row.last && row.last <= EIR_IMEI_MAX);
			assert(row.n_imsis <= EIR_MAX_PAIRS);
			assert(!row.is_range || row.n_imsis == 0);
			assert(!(row.rec.flags & EIR_REC_LOCKED) || row.n_imsis > 0);
			assert(row.op == EIR_SNAP_DEL ||
			       (row.rec.status > EIR_STATUS_NONE && row.rec.status < EIR_STATUS_COUNT));
		}
		s += n;
	}
	(void)eir_snap_finish(&p, err, sizeof(err));
	return 0;
}
