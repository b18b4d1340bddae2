/* The store's LMDB layer (store_priv.h): error codes, environments and
 * sub-databases, and the meta keys and history lines as stored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "imei.h"
#include "store_priv.h"

#define MAX_DBS        8

int open_env(MDB_env **env, const char *path, unsigned flags, uint64_t map_size)
{
	int rc = mdb_env_create(env);

	if (rc)
		return lmdb_errno(rc);
	rc = mdb_env_set_maxdbs(*env, MAX_DBS);
	if (!rc && map_size)
		rc = mdb_env_set_mapsize(*env, map_size);
	if (!rc)
		rc = mdb_env_open(*env, path, flags | MDB_NOTLS | MDB_NORDAHEAD, 0644);
	if (rc) {
		mdb_env_close(*env);
		*env = NULL;
	}
	return lmdb_errno(rc);
}

int open_dbis(MDB_txn *txn, struct dbis *d, unsigned create)
{
	int rc = mdb_dbi_open(txn, EIR_DBI_IMEI, create, &d->imei);

	if (!rc)
		rc = mdb_dbi_open(txn, EIR_DBI_RANGE, create, &d->range);
	if (!rc)
		rc = mdb_dbi_open(txn, EIR_DBI_PAIR, create | MDB_DUPSORT | MDB_DUPFIXED, &d->pair);
	if (!rc)
		rc = mdb_dbi_open(txn, EIR_DBI_META, create, &d->meta);
	d->have_first_seen = false;
	if (rc)
		return lmdb_errno(rc);
	/* Optional for readers: databases written before it lack it. */
	rc = mdb_dbi_open(txn, EIR_DBI_FIRST_SEEN, create, &d->first_seen);
	if (rc == MDB_NOTFOUND && !create)
		return 0;
	d->have_first_seen = rc == 0;
	return lmdb_errno(rc);
}

int decode_first_seen(const MDB_val *k, const MDB_val *d, uint64_t *imei, uint32_t *t)
{
	if (k->mv_size != 8 || d->mv_size != 4)
		return -EBADMSG;
	*imei = eir_u64_get(k->mv_data);
	*t = u32_get(d->mv_data);
	return *imei > EIR_IMEI_MAX || !*t ? -EBADMSG : 0;
}

static int meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *v)
{
	MDB_val k = val_of(key, strlen(key)), d;
	int rc = mdb_get(txn, dbi, &k, &d);

	if (rc)
		return lmdb_errno(rc);
	if (d.mv_size != 8)
		return -EBADMSG;
	*v = eir_u64_get(d.mv_data);
	return 0;
}

void meta_get_str(MDB_txn *txn, MDB_dbi dbi, const char *key, char *out, size_t sz)
{
	MDB_val k = val_of(key, strlen(key)), d;
	size_t n;

	out[0] = '\0';
	if (mdb_get(txn, dbi, &k, &d))
		return;
	n = d.mv_size < sz - 1 ? d.mv_size : sz - 1;
	memcpy(out, d.mv_data, n);
	out[n] = '\0';
}

int read_meta(MDB_txn *txn, MDB_dbi dbi, struct eir_meta *m)
{
	char key[64];
	int rc;

	memset(m, 0, sizeof(*m));
	rc = meta_get_u64(txn, dbi, EIR_META_SCHEMA, &m->schema);
	if (rc)
		return rc == -ENOENT ? -EPROTO : rc;
	meta_get_str(txn, dbi, EIR_META_KIND, m->kind, sizeof(m->kind));
	meta_get_str(txn, dbi, EIR_META_SOURCE, m->source, sizeof(m->source));
	meta_get_u64(txn, dbi, EIR_META_SEQ, &m->seq);
	meta_get_u64(txn, dbi, EIR_META_CREATED, &m->created);
	meta_get_u64(txn, dbi, EIR_META_IMPORTED, &m->imported);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		snprintf(key, sizeof(key), EIR_META_COUNT_PREFIX "%s", eir_status_name(st));
		meta_get_u64(txn, dbi, key, &m->count[st]);
	}
	meta_get_u64(txn, dbi, EIR_META_COUNT_PREFIX "range", &m->ranges);
	meta_get_u64(txn, dbi, EIR_META_COUNT_PREFIX "paired", &m->paired_imeis);
	meta_get_u64(txn, dbi, EIR_META_COUNT_PREFIX "first_seen", &m->first_seen);
	meta_get_u64(txn, dbi, EIR_META_FS_IMPORTED, &m->first_seen_imported);
	meta_get_str(txn, dbi, EIR_META_FS_SOURCE, m->first_seen_source, sizeof(m->first_seen_source));
	return 0;
}

/* Next well-formed history line from *p (malformed ones are skipped):
 * true with *a filled, false at the end. */
bool history_next(const char **p, const char *end, struct eir_applied *a)
{
	_Static_assert(EIR_SOURCE_MAX == 128 && sizeof(a->kind) == 8, "history line format");

	while (*p < end) {
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
		unsigned long long seq, created;
		char line[HISTORY_LINE];
		int ok = 0;

		if (len < sizeof(line)) {
			memcpy(line, *p, len);
			line[len] = '\0';
			memset(a, 0, sizeof(*a));
			ok = sscanf(line, "%llu %7s %llu %127s", &seq, a->kind, &created, a->source) == 4;
		}
		*p += len + (nl ? 1 : 0);
		if (!ok)
			continue;
		a->seq = seq;
		a->created = created;
		if (!strcmp(a->kind, "-"))
			a->kind[0] = '\0';
		if (!strcmp(a->source, "-"))
			a->source[0] = '\0';
		return true;
	}
	return false;
}

void applied_of_meta(const struct eir_meta *m, struct eir_applied *a)
{
	memset(a, 0, sizeof(*a));
	a->seq = m->seq;
	a->created = m->created;
	memcpy(a->kind, m->kind, sizeof(a->kind));
	memcpy(a->source, m->source, sizeof(a->source));
}
