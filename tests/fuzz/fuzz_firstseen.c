/* libFuzzer harness: the first-seen file parser, fed the input line by
 * line against a fixed clock. Every accepted row must be a 14-digit key
 * with a time that is neither 0 nor more than a day ahead, and the parser
 * must take as its column line exactly what the importer detects as one. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "firstseen.h"
#include "imei.h"

#define NOW 1796083200ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct firstseen_parser p;
	struct firstseen_row row;
	const char *s = (const char *)data, *end = s + size;
	bool first = true;
	char err[256];

	firstseen_init(&p, NOW);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s + 1) : (size_t)(end - s);
		int rc = firstseen_parse_line(&p, s, n, &row, err, sizeof(err));

		if (first)
			assert((rc >= 0) == firstseen_detect(s, n));
		first = false;
		if (rc < 0) {
			assert(err[0]);
			break;
		}
		if (rc == FIRSTSEEN_LINE_ROW) {
			assert(row.imei <= EIR_IMEI_MAX);
			assert(row.first_seen > 0 && row.first_seen <= NOW + FIRSTSEEN_MAX_AHEAD);
		}
		s += n;
	}
	if (firstseen_finish(&p, err, sizeof(err)))
		assert(err[0]);
	return 0;
}
