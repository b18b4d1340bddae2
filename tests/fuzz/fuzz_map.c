/* libFuzzer harness: BER, TCAP and MAP CheckIMEI decoding. Whatever comes
 * in, the answer (if any) must be one well-formed TCAP End or Abort
 * addressed to the transaction id that came in. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "checkimei.h"
#include "tcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fixed_check(void *ctx, const struct eir_query *q, struct eir_result *res)
{
	memset(res, 0, sizeof(*res));
	/* Vary the verdict with the IMEI so that every answer form is built. */
	res->verdict = (enum eir_verdict)(q->imei.key % EIR_VERDICT_COUNT);
	res->branch = q->imei.key % 7 == 0 ? EIR_BR_FAILURE : EIR_BR_ACTIVE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map_eir eir = { .check = fixed_check, .max_version = 3, .imei_flags = 1 };
	uint8_t out[MAP_MAX_ANSWER];
	struct tcap_msg in, ans;
	enum tcap_p_abort pa;
	long n;

	if (size > 4096)
		return 0;
	eir.max_version = size % 2 ? 2 : 3;
	n = map_eir_handle(&eir, data, size, out, sizeof(out));
	assert(n >= 0);
	if (n == 0)
		return 0;
	assert(tcap_decode(out, (size_t)n, &ans, &pa) == 0);
	assert(ans.type == TCAP_END || ans.type == TCAP_ABORT);
	tcap_decode(data, size, &in, &pa);
	assert(in.otid_len && ans.dtid_len == in.otid_len && !memcmp(ans.dtid, in.otid, in.otid_len));
	return 0;
}
