/* One interval's observations in memory (observe.c): the (IMEI, IMSI)
 * pairs with what eird saw of them, at most `max` distinct pairs, and the
 * IMEIs whose grace period started in the interval. Open addressing,
 * grown by doubling, never above max: the answer path never waits and
 * never allocates without bound. Owned by one thread at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observed.h"

struct obs_table;

struct obs_table *obs_table_new(size_t max);
void obs_table_free(struct obs_table *t);
/* Empty it, keeping its memory for the next interval. */
void obs_table_clear(struct obs_table *t);

/* The entry of (imei, imsi): the existing one, or a new zeroed one with
 * imei and imsi set (*is_new). NULL when the table holds max pairs (or
 * memory ran out): the caller counts a drop. */
struct eir_obs *obs_table_upsert(struct obs_table *t, uint64_t imei, uint64_t imsi, bool *is_new);
size_t obs_table_count(const struct obs_table *t);
/* The entries, in the order they came. */
const struct eir_obs *obs_table_entries(const struct obs_table *t, size_t *n);

/* The earliest grace start recorded for imei in this interval. */
bool obs_table_first_get(const struct obs_table *t, uint64_t imei, uint32_t *first);
/* Record one (the earlier wins); silently full at max IMEIs. */
void obs_table_first_put(struct obs_table *t, uint64_t imei, uint32_t first);
size_t obs_table_first_count(const struct obs_table *t);
/* Call fn for every grace start. */
void obs_table_first_foreach(const struct obs_table *t, void (*fn)(void *ctx, uint64_t imei, uint32_t first),
			     void *ctx);
/* Every grace start of src into dst (the earlier wins). */
void obs_table_first_merge(struct obs_table *dst, const struct obs_table *src);
