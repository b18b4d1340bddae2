/* libFuzzer harness: the stats socket's command lines. The input is a
 * byte stream a client might send; it is fed whole and again in pieces
 * whose sizes come from the input itself: both must give the same
 * commands, each line bounded, trimmed and without a newline. */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEN 4096

struct seen {
	unsigned n;
	enum stats_cmd cmd[MAX_SEEN];
	char line[MAX_SEEN][STATS_MAX_LINE];
};

static int record(void *ctx, enum stats_cmd cmd, const char *line)
{
	struct seen *s = ctx;

	if (cmd == STATS_CMD_TOO_LONG) {
		assert(!line);
	} else {
		size_t n = strlen(line);
		assert(n > 0 && n < STATS_MAX_LINE);
		assert(!strchr(line, '\n'));
		assert(!isspace((unsigned char)line[0]) && !isspace((unsigned char)line[n - 1]));
		assert(cmd == STATS_CMD_UNKNOWN || cmd == stats_cmd_parse(line));
	}
	if (s->n < MAX_SEEN) {
		s->cmd[s->n] = cmd;
		snprintf(s->line[s->n], STATS_MAX_LINE, "%s", line ? line : "");
	}
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen whole, pieces;
	struct stats_lines a = { 0 }, b = { 0 };
	size_t off = 0, i = 0;

	whole.n = pieces.n = 0;
	stats_lines_feed(&a, (const char *)data, size, record, &whole);
	stats_lines_eof(&a, record, &whole);
	while (off < size) {
		size_t step = 1 + data[i++ % size] % 97;
		if (step > size - off)
			step = size - off;
		stats_lines_feed(&b, (const char *)data + off, step, record, &pieces);
		off += step;
	}
	stats_lines_eof(&b, record, &pieces);
	assert(whole.n == pieces.n);
	for (unsigned k = 0; k < whole.n && k < MAX_SEEN; k++) {
		assert(whole.cmd[k] == pieces.cmd[k]);
		assert(!strcmp(whole.line[k], pieces.line[k]));
	}
	return 0;
}
