/* Parser for the native snapshot format (docs/snapshot-format.md), line by
 * line: header, column line, rows, trailer. Pure: no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

#define EIR_SNAP_VERSION 1
#define EIR_SNAP_REASON_MAX 63

enum eir_snap_kind {
	EIR_SNAP_FULL,
	EIR_SNAP_DELTA,
};

struct eir_snap_header {
	unsigned version;
	enum eir_snap_kind kind;
	uint64_t seq;
	uint64_t base;		/* deltas only */
	char source[EIR_SOURCE_MAX];
	uint64_t created;
};

enum eir_snap_op {
	EIR_SNAP_SET,
	EIR_SNAP_DEL,
};

struct eir_snap_row {
	enum eir_snap_op op;
	bool is_range;		/* a first-last range or a whole TAC */
	uint64_t first, last;	/* equal for a single IMEI */
	struct eir_record rec;	/* reason left 0: see reason[] */
	char reason[EIR_SNAP_REASON_MAX + 1];
	uint64_t imsis[EIR_MAX_PAIRS];
	size_t n_imsis;
};

/* What a line turned out to be. Negative values are errors. */
enum eir_snap_line {
	EIR_SNAP_LINE_META = 0,	/* header, column line or blank: nothing to apply */
	EIR_SNAP_LINE_ROW = 1,	/* *row is filled */
	EIR_SNAP_LINE_END = 2,	/* the trailer, and its row count matched */
};

struct eir_snap_parser {
	struct eir_snap_header hdr;
	unsigned state;
	uint64_t rows;
};

void eir_snap_init(struct eir_snap_parser *p);
/* Parse one line (without or with its "\n" / "\r\n"). Returns an enum
 * eir_snap_line, or -EINVAL with a reason in err (the caller adds
 * file:line). */
int eir_snap_parse_line(struct eir_snap_parser *p, const char *line, size_t len,
			struct eir_snap_row *row, char *err, size_t errsz);
/* True once the header and column line are behind: data rows follow. */
bool eir_snap_in_rows(const struct eir_snap_parser *p);
/* Count a row that the caller chose to skip (so the trailer still matches). */
void eir_snap_skip_row(struct eir_snap_parser *p);

/* At end of input: 0 when the trailer was seen, else -EINVAL and why. */
int eir_snap_finish(const struct eir_snap_parser *p, char *err, size_t errsz);

/* The header and column lines for a snapshot, for writers (eir-db dump,
 * eir-gen): out must hold at least 256 + EIR_SOURCE_MAX bytes. */
int eir_snap_format_header(const struct eir_snap_header *h, char *out, size_t outsz);
