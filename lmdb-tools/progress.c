/* A one-line progress display on a terminal (progress.h). */
#include <stdio.h>
#include <time.h>

#include "progress.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, bool on, const char *name, uint64_t total_bytes)
{
	p->on = on;
	p->drawn = false;
	p->name = name;
	p->phase = "reading";
	p->total_bytes = total_bytes;
	p->total_rows = 0;
	p->t0 = p->last = now_s();
}

void progress_update(struct progress *p, uint64_t rows, uint64_t bytes)
{
	double t, el, rate;

	if (!p->on)
		return;
	t = now_s();
	if (t - p->last < 0.25)
		return;
	p->last = t;
	el = t - p->t0;
	rate = el > 0 ? (double)rows / el : 0;
	fprintf(stderr, "\r\033[K%s: %s %.1fM rows, %.2fM rows/s", p->name, p->phase,
		(double)rows / 1e6, rate / 1e6);
	if (p->total_rows ? rows <= p->total_rows : p->total_bytes && bytes && bytes <= p->total_bytes) {
		double frac = p->total_rows ? (double)rows / (double)p->total_rows
					    : (double)bytes / (double)p->total_bytes;
		fprintf(stderr, ", %.0f%%", 100 * frac);
		if (frac > 0.01)
			fprintf(stderr, ", ETA %.0f s", el / frac - el);
	}
	p->drawn = true;
}

void progress_phase(struct progress *p, const char *phase, uint64_t total_rows)
{
	p->phase = phase;
	p->total_rows = total_rows ? total_rows : 1;
	p->t0 = p->last = now_s();
}

void progress_clear(struct progress *p)
{
	if (p->on && p->drawn)
		fprintf(stderr, "\r\033[K");
	p->drawn = false;
}

void progress_done(struct progress *p, uint64_t rows)
{
	(void)rows;
	progress_clear(p);
}
