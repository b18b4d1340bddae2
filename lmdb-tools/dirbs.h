/* DIRBS operator lists (blacklist, exceptions, and their deltas): detected
 * by their column line, mapped onto the EIR's records. */
#pragma once

#include <stddef.h>

#include <stdint.h>

#include "import.h"
#include "input.h"
#include "reasons.h"

enum dirbs_kind {
	DIRBS_NONE = 0,
	DIRBS_BLACKLIST,		/* imei,block_date,reasons */
	DIRBS_BLACKLIST_DELTA,		/* imei,block_date,reasons,change_type */
	DIRBS_EXCEPTIONS,		/* imei,imsi[,msisdn] */
	DIRBS_EXCEPTIONS_DELTA,		/* imei,imsi[,msisdn],change_type */
};

enum dirbs_op { DIRBS_BLOCK, DIRBS_UNBLOCK, DIRBS_CHANGE, DIRBS_ADD, DIRBS_REMOVE };

struct dirbs_row {
	uint64_t imei, imsi;	/* imsi packed (eir_imsi_parse), exceptions only */
	uint32_t line;
	uint8_t op;		/* enum dirbs_op */
	uint8_t reason;		/* id in the caller's dictionary, blacklists only */
};

/* Parse one data line (modified in place) of a list of this kind and
 * column count: 0, or -1 with the reason in err. */
int dirbs_parse_row(enum dirbs_kind kind, unsigned ncols, struct reasons *reasons,
		    char *line, size_t len, struct dirbs_row *row, char *err, size_t esz);

/* What a first line announces (and its column count); DIRBS_NONE for
 * anything else. */
enum dirbs_kind dirbs_detect(const char *line, size_t len, unsigned *ncols);

/* Apply a DIRBS list whose column line has been read from in. */
enum import_status dirbs_import(const char *dir, const char *path, struct snap_input *in,
				enum dirbs_kind kind, unsigned header_cols, const struct import_opts *o,
				struct import_result *res);
