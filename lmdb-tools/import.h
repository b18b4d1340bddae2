/* Applying one registry snapshot file to the database: parse and validate
 * all of it first, then write it in one transaction, or refuse it whole. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum import_status {
	IMPORT_APPLIED = 0,
	IMPORT_NOTHING = 1,	/* already at this seq: nothing to do */
	IMPORT_REFUSED = 2,	/* the input is wrong or does not fit the database */
	IMPORT_FAILED = 3,	/* system or database error */
};

struct eir_lock;

struct import_opts {
	double max_shrink;		/* refuse a full that drops more than this fraction */
	bool force;			/* override the shrink and staleness guards */
	unsigned long max_errors;	/* bad rows to skip (each reported) before refusing */
	uint64_t max_rows;		/* data rows per file (0: no limit) */
	uint64_t max_bytes;		/* bytes per file after decompression (0: no limit) */
	struct eir_lock *lock;		/* the database's writer lock, held by the caller
					 * before the guards read the meta */
	bool progress;			/* redraw a progress line on stderr */
	bool verbose;
};

struct import_result {
	uint64_t seq, base;
	bool delta;
	uint64_t rows, skipped;
	double parse_s, write_s;
	char msg[512];			/* why it was refused or failed; a summary when applied */
};

enum import_status import_file(const char *dir, const char *path, const struct import_opts *o,
			       struct import_result *res);

/* The snapshot header of a file (for pull): 0, or -1 with msg set. */
int import_peek(const char *path, uint64_t *seq, uint64_t *base, bool *delta, char *msg, size_t msgsz);
