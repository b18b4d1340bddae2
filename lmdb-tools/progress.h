/* A one-line progress display on a terminal: rows, rows/s, percent, ETA. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on, drawn;
	const char *name, *phase;
	uint64_t total_bytes, total_rows;
	double t0, last;
};

void progress_init(struct progress *p, bool on, const char *name, uint64_t total_bytes);
/* Redraws at most a few times a second. */
void progress_update(struct progress *p, uint64_t rows, uint64_t bytes);
/* Start a phase measured in rows of a known total (e.g. "writing"). */
void progress_phase(struct progress *p, const char *phase, uint64_t total_rows);
/* Erase the line (before other output, and at the end). */
void progress_clear(struct progress *p);
/* The reading phase is over: erase and remember nothing. */
void progress_done(struct progress *p, uint64_t rows);
