/* The stats socket's input: bytes from a client cut into command lines in
 * a bounded buffer, and each line mapped to a command. Pure, so that the
 * fuzzers can drive it with any byte stream cut anywhere. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define STATS_MAX_LINE 256

enum stats_cmd {
	STATS_CMD_STATS,
	STATS_CMD_PROMETHEUS,
	STATS_CMD_JSON,
	STATS_CMD_RESET,
	STATS_CMD_HELP,
	STATS_CMD_UNKNOWN,
	STATS_CMD_TOO_LONG,	/* a line over STATS_MAX_LINE, refused whole */
};

struct stats_lines {
	char buf[STATS_MAX_LINE];
	size_t len;
	bool discarding;	/* inside an over-long line: drop up to its newline */
};

/* Called for each complete, non-blank line with surrounding blanks removed
 * (line is NULL for STATS_CMD_TOO_LONG); a negative return stops the
 * feed and is returned by it. */
typedef int (*stats_line_fn)(void *ctx, enum stats_cmd cmd, const char *line);

/* Feed n bytes; returns 0 or the callback's negative value. */
int stats_lines_feed(struct stats_lines *l, const char *p, size_t n, stats_line_fn fn, void *ctx);
/* The client closed its side: a last line without newline is a command. */
int stats_lines_eof(struct stats_lines *l, stats_line_fn fn, void *ctx);
enum stats_cmd stats_cmd_parse(const char *line);
