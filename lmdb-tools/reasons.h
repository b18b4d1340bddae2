/* Reason names -> ids 1..255 in order of first appearance, for importers
 * that collect rows before they open the writer. */
#pragma once

#include <stdint.h>

struct reasons {
	char *name[256];
	uint8_t slot[512];	/* open-addressing hash of ids */
	unsigned count;
};

/* The id of name (0 for ""), added when new; -1 when 255 are taken. */
int reasons_id(struct reasons *r, const char *name);
void reasons_free(struct reasons *r);
