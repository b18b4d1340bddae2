/* libFuzzer harness: the SMS text from any bytes. Accepted text must be
 * cut into parts that cover every unit once, in order, each within its
 * coding's limit, never between the two units of one character, and each
 * part's octets must fit one short_message: 140 octets of UCS-2, 160 of
 * unpacked septets (SMPP's short_message holds up to 254). */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sms_part parts[SMS_MAX_PARTS];
	struct sms_text t;
	uint8_t out[254];
	size_t n, at = 0;

	if (sms_text_from_utf8((const char *)data, size, &t))
		return 0;
	n = sms_split(&t, parts, SMS_MAX_PARTS);
	if (!n) {
		/* refused only when it takes more parts than an SMS may have */
		assert(t.n > (size_t)SMS_MAX_PARTS * (t.coding == SMS_GSM7 ? SMS_PART_GSM7 : SMS_PART_UCS2) - SMS_MAX_PARTS);
		sms_text_free(&t);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t limit = n == 1 ? (t.coding == SMS_GSM7 ? SMS_SINGLE_GSM7 : SMS_SINGLE_UCS2)
				      : (t.coding == SMS_GSM7 ? SMS_PART_GSM7 : SMS_PART_UCS2);
		size_t len;

		assert(parts[i].first == at);
		assert(parts[i].n <= limit);
		assert(n == 1 || parts[i].n > 0);
		at += parts[i].n;
		if (i + 1 < n && t.coding == SMS_UCS2)
			assert(!(t.u[at - 1] >= 0xD800 && t.u[at - 1] <= 0xDBFF));
		len = sms_part_octets(&t, &parts[i], 1, (uint8_t)n, (uint8_t)(i + 1), out, sizeof(out));
		assert(len > 0 || (n == 1 && t.n == 0));
		assert(len <= (t.coding == SMS_GSM7 ? 160u : 140u));
	}
	assert(at == t.n);
	/* GSM 7-bit: walk the pairs; no part may start on an escape's code. */
	if (t.coding == SMS_GSM7) {
		size_t k = 0, i = 0;
		while (i < t.n) {
			while (k + 1 < n && parts[k + 1].first <= i)
				k++;
			assert(t.u[i] < 128);
			if (t.u[i] == 0x1B) {
				assert(i + 1 < t.n);
				assert(i + 1 < parts[k].first + parts[k].n);	/* the pair in one part */
				i += 2;
			} else {
				i++;
			}
		}
	}
	sms_text_free(&t);
	return 0;
}
