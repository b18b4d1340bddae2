/* libFuzzer harness: the N5g-eir request target (path, query, percent-
 * decoding, PEI/SUPI/GPSI forms) and the ProblemDetails written for each
 * refusal. Checks that every answer body is valid JSON carrying the status
 * and cause of the error, and that an accepted IMEI is a 14-digit key. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "n5g.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct n5g_request req;
	enum n5g_err e;
	json_t *j;
	char *body;
	size_t n;

	e = n5g_parse_target((const char *)data, size, EIR_IMEI_ALLOW_SPARE0, &req);
	if (e == N5G_OK) {
		if ((req.pei_kind == N5G_PEI_IMEI || req.pei_kind == N5G_PEI_IMEISV) && !req.q.imei_err)
			assert(req.q.imei.key <= EIR_IMEI_MAX);
		assert(strlen(req.pei) <= N5G_VALUE_MAX);
		return 0;
	}
	assert(e < N5G_ERR_COUNT);
	body = n5g_problem_for(e, &req, &n);
	assert(body);
	j = json_loadb(body, n, 0, NULL);
	assert(j);
	assert(json_integer_value(json_object_get(j, "status")) == n5g_err_status(e));
	assert(!strcmp(json_string_value(json_object_get(j, "cause")), n5g_err_cause(e)));
	json_decref(j);
	free(body);
	return 0;
}
