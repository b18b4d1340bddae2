/* libFuzzer harness: snapshot input (libarchive's format and filter
 * detection under our line splitter) followed by the native parser, as
 * eir-sync reads a file. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "input.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_input *in;
	struct eir_snap_parser p;
	struct eir_snap_row row;
	const char *line;
	char err[256];
	ssize_t n;
	size_t total = 0;

	if (snap_input_open_memory(&in, data, size, err, sizeof(err)))
		return 0;
	snap_input_limit(in, 16u << 20);	/* a bomb is refused, not expanded */
	eir_snap_init(&p);
	while ((n = snap_input_line(in, &line)) >= 0) {
		assert(!memchr(line, '\n', (size_t)n));
		total += (size_t)n;
		if (eir_snap_parse_line(&p, line, (size_t)n, &row, err, sizeof(err)) < 0)
			break;
	}
	(void)total;
	snap_input_close(in);
	return 0;
}
