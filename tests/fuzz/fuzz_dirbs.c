/* libFuzzer harness: DIRBS list rows, for every list kind and column
 * count; the first byte picks the kind. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dirbs.h"
#include "imei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct { enum dirbs_kind kind; unsigned cols; } kinds[] = {
		{ DIRBS_BLACKLIST, 3 }, { DIRBS_BLACKLIST_DELTA, 4 }, { DIRBS_EXCEPTIONS, 2 },
		{ DIRBS_EXCEPTIONS, 3 }, { DIRBS_EXCEPTIONS_DELTA, 3 }, { DIRBS_EXCEPTIONS_DELTA, 4 },
	};
	struct reasons reasons = { 0 };
	struct dirbs_row row;
	char err[256], *line;

	if (size < 1)
		return 0;
	line = malloc(size);
	if (!line)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	size_t k = data[0] % (sizeof(kinds) / sizeof(kinds[0]));
	if (dirbs_parse_row(kinds[k].kind, kinds[k].cols, &reasons, line, strlen(line), &row,
			    err, sizeof(err)) == 0) {
		assert(row.imei <= EIR_IMEI_MAX);
		assert(row.op <= DIRBS_REMOVE);
		assert(kinds[k].kind <= DIRBS_BLACKLIST_DELTA ? row.imsi == 0 : row.imsi != 0);
	} else {
		assert(err[0]);
	}
	reasons_free(&reasons);
	free(line);
	return 0;
}
