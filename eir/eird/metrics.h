/* What the NOC sees, as one list (metrics.c): every value eird reports
 * once, with its name, type, help and labels; the stats socket's three
 * formats walk that list, so they cannot disagree. docs/stats.md is the
 * reference of the names. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "eird.h"

enum metric_type {
	MT_TEXT,	/* a string; in Prometheus an info series {label="value"} 1 */
	MT_TIME,	/* seconds since the epoch: text as UTC, JSON and Prometheus as a number */
	MT_GAUGE,
	MT_COUNTER,
	MT_HIST,	/* a latency histogram */
	MT_PEER,	/* one peer of a front end */
};

struct metric {
	const char *section;	/* "server", "data", "s13", "map", "policy" */
	const char *key;	/* stats and JSON key */
	const char *json;	/* JSON key where it differs from key */
	const char *prom;	/* Prometheus family; NULL: not there */
	const char *help;
	enum metric_type type;
	const char *label;	/* Prometheus label of the series */
	const char *label_value;
	bool is_float;
	union {
		int64_t i;
		double d;
		const char *s;
		const struct eir_hist *h;
		struct eird_peer p;
	} v;
};

struct metrics {
	void *ctx;		/* owns the list and its strings */
	struct metric *m;
	unsigned n, cap;
};

/* The list now; free with talloc_free(list->ctx). */
struct metrics *metrics_collect(void *ctx, uint64_t uptime_s);

/* The three formats (docs/stats.md), appended to out. */
struct out {
	char *p;
	size_t len, cap;
	void *ctx;
};

void out_put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void metrics_fmt_stats(struct out *o, const struct metrics *l);
void metrics_fmt_prometheus(struct out *o, const struct metrics *l);
void metrics_fmt_json(struct out *o, const struct metrics *l);
/* Reset every counter and latency histogram (the data is not a counter). */
void metrics_reset(void);
