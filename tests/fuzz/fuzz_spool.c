/* libFuzzer harness: a spool line from any bytes. An accepted event must
 * be written back as a line that parses to the same event. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_event e, back;
	char err[256], line[NOTIFY_LINE_MAX * 2];
	int n;

	if (notify_event_parse((const char *)data, size, &e, err, sizeof(err))) {
		assert(err[0]);
		return 0;
	}
	n = notify_event_format(&e, line, sizeof(line));
	if (n < 0)
		return 0;	/* text that is valid JSON but not UTF-8 jansson writes */
	assert(notify_event_parse(line, (size_t)n, &back, err, sizeof(err)) == 0);
	assert(!memcmp(&e, &back, sizeof(e)));
	return 0;
}
