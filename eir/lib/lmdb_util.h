/* What the library's two LMDB users (the registry store, store_*.c, and
 * the observation store, observed.c) share: LMDB's return codes as
 * negative errnos, error text into a caller's buffer, and an MDB_val of a
 * buffer. Private to eir/lib. */
#pragma once

#include <stddef.h>

#include <lmdb.h>

/* MDB_NOTFOUND -ENOENT, the *_FULL codes -ENOSPC, MDB_MAP_RESIZED and
 * MDB_READERS_FULL -EAGAIN, version mismatches -EPROTO, corruption
 * -EBADMSG, misuse -EINVAL, system errors as themselves, else -EIO. */
int lmdb_errno(int rc);
/* snprintf into buf when buf is not NULL. */
void seterr(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline MDB_val val_of(const void *p, size_t n)
{
	return (MDB_val){ .mv_size = n, .mv_data = (void *)p };
}
