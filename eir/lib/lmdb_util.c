/* LMDB helpers shared by the store and the observation store (lmdb_util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "lmdb_util.h"

int lmdb_errno(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_DBS_FULL:
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
		return -ENOSPC;
	case MDB_MAP_RESIZED:
	case MDB_READERS_FULL:
		return -EAGAIN;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return -EPROTO;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_BAD_VALSIZE:
		return -EBADMSG;
	case MDB_BAD_TXN:
	case MDB_BAD_RSLOT:
	case MDB_BAD_DBI:
	case MDB_INCOMPATIBLE:
		return -EINVAL;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

void seterr(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}
