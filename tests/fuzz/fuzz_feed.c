/* libFuzzer harness: the feed index parser (it reads what a remote server
 * sends) and the plan built from whatever it accepts. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_entry *e = NULL;
	char *text = malloc(size + 1), msg[256];
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = feed_parse_index(text, &e, msg, sizeof(msg));
	if (n >= 0) {
		size_t *plan = calloc((size_t)n + 1, sizeof(*plan));
		for (uint64_t cur = 0; plan && cur < 4; cur++) {
			size_t np = feed_plan(e, (size_t)n, cur > 0, cur, plan);
			assert(np <= (size_t)n);
			/* A plan never goes backwards and each step follows the last. */
			for (size_t i = 0; i < np; i++) {
				assert(plan[i] < (size_t)n);
				assert(!e[plan[i]].delta || i == 0 || e[plan[i]].base == e[plan[i - 1]].seq);
				assert(i == 0 || e[plan[i]].seq > e[plan[i - 1]].seq);
			}
		}
		free(plan);
		for (int i = 0; i < n; i++)
			assert(!strstr(e[i].name, "..") && e[i].name[0] != '/');
	}
	free(e);
	free(text);
	return 0;
}
