/* libFuzzer harness: the stored-value decoders (record, IMSI, timestamps).
 * Whatever decodes must re-encode byte-identically. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "record.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eir_record rec;
	uint8_t out[EIR_RECORD_MAX];
	char buf[32];
	uint64_t v, t;

	if (eir_record_decode(data, size, &rec) == 0) {
		assert(rec.status > EIR_STATUS_NONE && rec.status < EIR_STATUS_COUNT);
		int n = eir_record_encode(&rec, out);
		assert((size_t)n == size && !memcmp(out, data, size));
	}
	if (eir_imsi_parse((const char *)data, size, &v) == 0) {
		eir_imsi_format(v, buf);
		assert(strlen(buf) == size && !memcmp(buf, data, size));
	}
	if (eir_time_parse((const char *)data, size, &t) == 0) {
		eir_time_format(t, buf, sizeof(buf));
		uint64_t t2;
		assert(eir_time_parse(buf, strlen(buf), &t2) == 0 && t2 == t);
	}
	if (size >= 1)
		(void)eir_status_from_name((const char *)data, size);
	return 0;
}
