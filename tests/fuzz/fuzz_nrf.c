/* libFuzzer harness: what eird reads from an NRF's answers (libnrf): the
 * heartBeatTimer of an NFRegister answer and the one-line summary of a
 * ProblemDetails. Checks the documented results and that a summary stays
 * within its buffer, printable, and as long as said. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 7, 200 };
	char buf[200 + 1];
	unsigned hb = 0;
	int rc;

	rc = nrf_answer_heartbeat((const char *)data, size, &hb);
	assert(rc == 1 || rc == 0 || rc == -EBADMSG || rc == -EINVAL);
	if (rc == 1)
		assert(hb >= 1 && hb <= NRF_HEARTBEAT_MAX);
	else
		assert(hb == 0);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		rc = nrf_problem_text((const char *)data, size, buf, sizes[i]);
		assert(rc == -EBADMSG || (rc >= 0 && (size_t)rc < sizes[i]));
		if (rc < 0) {
			assert(buf[0] == '\0');
			continue;
		}
		assert(strlen(buf) == (size_t)rc);
		for (int j = 0; j < rc; j++)
			assert(buf[j] >= 0x20 && buf[j] < 0x7f);
		assert(buf[sizes[i]] == 'x');	/* nothing past the buffer */
	}
	return 0;
}
