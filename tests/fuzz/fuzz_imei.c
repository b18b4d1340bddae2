/* libFuzzer harness: textual IMEI/PEI and TBCD decoders. Checks that every
 * accepted identity normalises to a 14-digit key that re-parses to itself. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flag_sets[] = {
		EIR_IMEI_STRICT_CD, EIR_IMEI_ALLOW_SPARE0, EIR_IMEI_IGNORE_CD,
		EIR_IMEI_ALLOW_PEI | EIR_IMEI_ALLOW_SPARE0,
	};
	struct eir_imei imei, again;
	char digits[EIR_IMEI_DIGITS + 2], tbcd_digits[64];
	uint8_t tbcd[32];

	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		if (eir_imei_parse((const char *)data, size, flag_sets[i], &imei) != EIR_IMEI_OK)
			continue;
		assert(imei.key <= EIR_IMEI_MAX);
		assert(imei.svn >= -1 && imei.svn <= 99);
		eir_imei_format_cd(imei.key, digits);
		assert(eir_imei_parse(digits, 15, EIR_IMEI_STRICT_CD, &again) == EIR_IMEI_OK);
		assert(again.key == imei.key);
	}
	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		if (eir_imei_parse_tbcd(data, size, flag_sets[i], &imei) == EIR_IMEI_OK)
			assert(imei.key <= EIR_IMEI_MAX);
	}
	/* TBCD decode -> encode is the identity on what decodes. */
	int n = eir_tbcd_decode(data, size, tbcd_digits, sizeof(tbcd_digits));
	if (n >= 0) {
		assert((size_t)n == strlen(tbcd_digits));
		int m = eir_tbcd_encode(tbcd_digits, tbcd, sizeof(tbcd));
		assert(m >= 0 && (size_t)m == size);
		assert(!memcmp(tbcd, data, size));
	}
	eir_imei_strerror((int)size);
	return 0;
}
