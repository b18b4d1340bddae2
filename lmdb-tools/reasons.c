/* Reason dictionary for importers (reasons.h). */
#include <stdlib.h>
#include <string.h>

#include "reasons.h"

static unsigned hash_str(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int reasons_id(struct reasons *r, const char *name)
{
	unsigned h;

	if (!name[0])
		return 0;
	for (h = hash_str(name) & 511;; h = (h + 1) & 511) {
		uint8_t id = r->slot[h];
		if (!id)
			break;
		if (!strcmp(r->name[id], name))
			return id;
	}
	if (r->count == 255)
		return -1;
	r->name[r->count + 1] = strdup(name);
	if (!r->name[r->count + 1])
		return -1;
	r->count++;
	r->slot[h] = (uint8_t)r->count;
	return (int)r->count;
}

void reasons_free(struct reasons *r)
{
	for (unsigned i = 1; i <= r->count; i++)
		free(r->name[i]);
	r->count = 0;
}
