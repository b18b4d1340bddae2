/* One interval's observations in memory (obs_table.h). */
#include <stdlib.h>
#include <string.h>

#include "obs_table.h"

/* IMEI keys have at most 14 digits, so ~key is never 0: 0 marks an empty
 * slot of the IMEI map. */
struct imei_slot {
	uint64_t key;			/* ~IMEI; 0 = empty */
	uint32_t first;
};

struct obs_table {
	size_t max;
	struct eir_obs *e;
	size_t n, cap;			/* entries used, allocated */
	uint32_t *slot;			/* entry index + 1; 0 = empty */
	size_t mask;			/* slots - 1 */
	struct imei_slot *im;
	size_t im_n, im_mask;
};

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline size_t pair_hash(uint64_t imei, uint64_t imsi)
{
	return (size_t)mix(imei ^ mix(imsi));
}

struct obs_table *obs_table_new(size_t max)
{
	struct obs_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max;
	t->mask = (1u << 12) - 1;
	t->slot = calloc(t->mask + 1, sizeof(*t->slot));
	t->im_mask = (1u << 10) - 1;
	t->im = calloc(t->im_mask + 1, sizeof(*t->im));
	if (!t->slot || !t->im) {
		obs_table_free(t);
		return NULL;
	}
	return t;
}

void obs_table_free(struct obs_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->slot);
	free(t->im);
	free(t);
}

void obs_table_clear(struct obs_table *t)
{
	memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
	memset(t->im, 0, (t->im_mask + 1) * sizeof(*t->im));
	t->n = 0;
	t->im_n = 0;
}

size_t obs_table_count(const struct obs_table *t)
{
	return t->n;
}

const struct eir_obs *obs_table_entries(const struct obs_table *t, size_t *n)
{
	*n = t->n;
	return t->e;
}

static bool grow(struct obs_table *t)
{
	size_t slots = (t->mask + 1) * 2;
	uint32_t *ns = calloc(slots, sizeof(*ns));

	if (!ns)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = pair_hash(t->e[i].imei, t->e[i].imsi) & (slots - 1);
		while (ns[h])
			h = (h + 1) & (slots - 1);
		ns[h] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = ns;
	t->mask = slots - 1;
	return true;
}

struct eir_obs *obs_table_upsert(struct obs_table *t, uint64_t imei, uint64_t imsi, bool *is_new)
{
	size_t h = pair_hash(imei, imsi) & t->mask;
	struct eir_obs *e;

	for (uint32_t s; (s = t->slot[h]); h = (h + 1) & t->mask) {
		e = &t->e[s - 1];
		if (e->imei == imei && e->imsi == imsi) {
			*is_new = false;
			return e;
		}
	}
	if (t->n >= t->max)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct eir_obs *ne;

		if (cap > t->max)
			cap = t->max;
		ne = realloc(t->e, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		t->e = ne, t->cap = cap;
	}
	/* At most half full, so that probes stay short. */
	if ((t->n + 1) * 2 > t->mask + 1) {
		if (!grow(t))
			return NULL;
		h = pair_hash(imei, imsi) & t->mask;
		while (t->slot[h])
			h = (h + 1) & t->mask;
	}
	e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->imei = imei;
	e->imsi = imsi;
	t->slot[h] = (uint32_t)++t->n;
	*is_new = true;
	return e;
}

bool obs_table_first_get(const struct obs_table *t, uint64_t imei, uint32_t *first)
{
	size_t h = (size_t)mix(imei) & t->im_mask;

	for (; t->im[h].key; h = (h + 1) & t->im_mask) {
		if (t->im[h].key == ~imei) {
			*first = t->im[h].first;
			return true;
		}
	}
	return false;
}

void obs_table_first_put(struct obs_table *t, uint64_t imei, uint32_t first)
{
	size_t h;

	for (h = (size_t)mix(imei) & t->im_mask; t->im[h].key; h = (h + 1) & t->im_mask) {
		if (t->im[h].key == ~imei) {
			if (first < t->im[h].first)
				t->im[h].first = first;
			return;
		}
	}
	if (t->im_n >= t->max)
		return;
	if ((t->im_n + 1) * 2 > t->im_mask + 1) {
		size_t slots = (t->im_mask + 1) * 2;
		struct imei_slot *ni = calloc(slots, sizeof(*ni));

		if (!ni)
			return;
		for (size_t i = 0; i <= t->im_mask; i++) {
			if (!t->im[i].key)
				continue;
			h = (size_t)mix(~t->im[i].key) & (slots - 1);
			while (ni[h].key)
				h = (h + 1) & (slots - 1);
			ni[h] = t->im[i];
		}
		free(t->im);
		t->im = ni;
		t->im_mask = slots - 1;
		for (h = (size_t)mix(imei) & t->im_mask; t->im[h].key; h = (h + 1) & t->im_mask)
			;
	}
	t->im[h] = (struct imei_slot){ .key = ~imei, .first = first };
	t->im_n++;
}

size_t obs_table_first_count(const struct obs_table *t)
{
	return t->im_n;
}

void obs_table_first_merge(struct obs_table *dst, const struct obs_table *src)
{
	for (size_t i = 0; i <= src->im_mask; i++)
		if (src->im[i].key)
			obs_table_first_put(dst, ~src->im[i].key, src->im[i].first);
}

void obs_table_first_foreach(const struct obs_table *t, void (*fn)(void *ctx, uint64_t imei, uint32_t first),
			     void *ctx)
{
	for (size_t i = 0; i <= t->im_mask; i++)
		if (t->im[i].key)
			fn(ctx, ~t->im[i].key, t->im[i].first);
}
