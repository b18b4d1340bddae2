/* Parser for first-seen files (docs/snapshot-format.md, "First-seen
 * files"): one eird node's first sighting of each IMEI, as `eir-db observed
 * export --format first-seen` writes it. Line by line: the column line
 * `imei,first_seen`, rows `IMEI,TIME`, the trailer `# end rows=N`. Pure: no
 * I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIRSTSEEN_COLUMNS "imei,first_seen"
/* A sighting later than the importer's clock by more than this is refused:
 * the exporting node's clock is wrong, and a first sighting in the future
 * would stretch a grace period. */
#define FIRSTSEEN_MAX_AHEAD 86400

struct firstseen_row {
	uint64_t imei;		/* the 14-digit key */
	uint32_t first_seen;	/* unix seconds, never 0 */
};

/* What a line turned out to be. Negative values are errors. */
enum firstseen_line {
	FIRSTSEEN_LINE_META = 0,	/* the column line or a blank line */
	FIRSTSEEN_LINE_ROW = 1,		/* *row is filled */
	FIRSTSEEN_LINE_END = 2,		/* the trailer, and its row count matched */
};

struct firstseen_parser {
	unsigned state;
	uint64_t rows;
	uint64_t now;		/* unix seconds: the limit for times is now + FIRSTSEEN_MAX_AHEAD */
};

/* Does this first line (with or without "\r\n", a UTF-8 byte order mark
 * tolerated) announce a first-seen file? */
bool firstseen_detect(const char *line, size_t len);

void firstseen_init(struct firstseen_parser *p, uint64_t now);
/* Parse one line, the first one being the column line. Returns an enum
 * firstseen_line, or -EINVAL with a reason in err (the caller adds
 * file:line). */
int firstseen_parse_line(struct firstseen_parser *p, const char *line, size_t len,
			 struct firstseen_row *row, char *err, size_t errsz);
/* At end of input: 0 when the trailer was seen, else -EINVAL and why. */
int firstseen_finish(const struct firstseen_parser *p, char *err, size_t errsz);
