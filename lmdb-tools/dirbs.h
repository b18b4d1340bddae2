/* DIRBS operator lists (blacklist, exceptions, and their deltas): detected
 * by their column line, mapped onto the EIR's records. */
#pragma once

#include <stddef.h>

#include "import.h"
#include "input.h"

enum dirbs_kind {
	DIRBS_NONE = 0,
	DIRBS_BLACKLIST,		/* imei,block_date,reasons */
	DIRBS_BLACKLIST_DELTA,		/* imei,block_date,reasons,change_type */
	DIRBS_EXCEPTIONS,		/* imei,imsi[,msisdn] */
	DIRBS_EXCEPTIONS_DELTA,		/* imei,imsi[,msisdn],change_type */
};

/* What a first line announces (and its column count); DIRBS_NONE for
 * anything else. */
enum dirbs_kind dirbs_detect(const char *line, size_t len, unsigned *ncols);

/* Apply a DIRBS list whose column line has been read from in. */
enum import_status dirbs_import(const char *dir, const char *path, struct snap_input *in,
				enum dirbs_kind kind, unsigned header_cols, const struct import_opts *o,
				struct import_result *res);
