/* Verify (store.h): check a whole database against its schema and its
 * meta counts. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "imei.h"
#include "store_priv.h"

struct verify {
	eir_problem_cb cb;
	void *ctx;
	unsigned found, max;
};

static void problem(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct verify *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (v->found++ >= v->max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->cb(v->ctx, msg);
}

static void verify_reason(struct eir_store *s, struct verify *v, uint8_t id, uint64_t where)
{
	char name[64];

	if (!id)
		return;
	eir_store_reason_name(s, id, name, sizeof(name));
	if (!name[0])
		problem(v, "%014llu: reason id %u is not in the dictionary",
			(unsigned long long)where, id);
}

static void verify_imeis(struct eir_store *s, struct verify *v, struct eir_meta *seen)
{
	MDB_cursor *c, *pc;
	MDB_val k, d;
	uint64_t prev = 0, npairs;
	bool first = true;
	int rc;

	if (mdb_cursor_open(s->txn, s->dbi.imei, &c)) {
		problem(v, "cannot open a cursor on '" EIR_DBI_IMEI "'");
		return;
	}
	if (mdb_cursor_open(s->txn, s->dbi.pair, &pc)) {
		mdb_cursor_close(c);
		problem(v, "cannot open a cursor on '" EIR_DBI_PAIR "'");
		return;
	}
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_record rec;
		uint64_t imei;
		MDB_val pd;

		if (k.mv_size != 8) {
			problem(v, "imei key of %zu octets (expected 8)", k.mv_size);
			continue;
		}
		imei = eir_u64_get(k.mv_data);
		if (imei > EIR_IMEI_MAX)
			problem(v, "imei key %llu has more than 14 digits", (unsigned long long)imei);
		if (!first && imei <= prev)
			problem(v, "%014llu: key out of order after %014llu",
				(unsigned long long)imei, (unsigned long long)prev);
		first = false;
		prev = imei;
		if (eir_record_decode(d.mv_data, d.mv_size, &rec)) {
			problem(v, "%014llu: undecodable record (%zu octets)", (unsigned long long)imei, d.mv_size);
			continue;
		}
		seen->count[rec.status]++;
		verify_reason(s, v, rec.reason, imei);
		npairs = 0;
		if (!mdb_cursor_get(pc, &k, &pd, MDB_SET))
			mdb_cursor_count(pc, &npairs);
		if ((rec.flags & EIR_REC_HAS_PAIRS) && !npairs)
			problem(v, "%014llu: record says paired but has no IMSIs", (unsigned long long)imei);
		if (npairs > EIR_MAX_PAIRS)
			problem(v, "%014llu: %llu paired IMSIs (at most %d)", (unsigned long long)imei,
				(unsigned long long)npairs, EIR_MAX_PAIRS);
		if (rec.flags & EIR_REC_HAS_PAIRS)
			seen->paired_imeis++;
	}
	mdb_cursor_close(c);
	/* Pair entries whose IMEI has no record, or a record without the flag. */
	for (rc = mdb_cursor_get(pc, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(pc, &k, &d, MDB_NEXT_NODUP)) {
		struct eir_record rec;

		if (k.mv_size != 8 || d.mv_size != 8) {
			problem(v, "pair entry with a %zu-octet key and %zu-octet value", k.mv_size, d.mv_size);
			continue;
		}
		if (eir_store_get(s, eir_u64_get(k.mv_data), &rec) || !(rec.flags & EIR_REC_HAS_PAIRS))
			problem(v, "%014llu: paired IMSIs without a paired record",
				(unsigned long long)eir_u64_get(k.mv_data));
	}
	mdb_cursor_close(pc);
}

static void verify_ranges(struct eir_store *s, struct verify *v, struct eir_meta *seen)
{
	MDB_cursor *c;
	MDB_val k, d;
	uint64_t prev_last = 0;
	bool first_one = true;
	int rc;

	if (mdb_cursor_open(s->txn, s->dbi.range, &c)) {
		problem(v, "cannot open a cursor on '" EIR_DBI_RANGE "'");
		return;
	}
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		struct eir_record rec;
		uint64_t a, b;

		if (decode_range(&k, &d, &a, &b, &rec)) {
			problem(v, "undecodable range entry (%zu/%zu octets)", k.mv_size, d.mv_size);
			continue;
		}
		if (b > EIR_IMEI_MAX)
			problem(v, "range %014llu-%llu: end has more than 14 digits",
				(unsigned long long)a, (unsigned long long)b);
		if (!first_one && a <= prev_last)
			problem(v, "range %014llu-%014llu overlaps the previous one ending %014llu",
				(unsigned long long)a, (unsigned long long)b, (unsigned long long)prev_last);
		first_one = false;
		prev_last = b;
		verify_reason(s, v, rec.reason, a);
		seen->ranges++;
	}
	mdb_cursor_close(c);
}

/* First sightings: an 8-octet IMEI key and a 4-octet time that is not 0,
 * and as many as the meta says. */
static void verify_first_seen(struct eir_store *s, struct verify *v, const struct eir_meta *m)
{
	uint64_t n = 0, imei;
	MDB_cursor *c;
	MDB_val k, d;
	uint32_t t;
	int rc;

	if (!s->dbi.have_first_seen) {
		if (m->first_seen)
			problem(v, "meta count.first_seen is %llu but there is no '" EIR_DBI_FIRST_SEEN "' sub-database",
				(unsigned long long)m->first_seen);
		return;
	}
	if (mdb_cursor_open(s->txn, s->dbi.first_seen, &c)) {
		problem(v, "cannot open a cursor on '" EIR_DBI_FIRST_SEEN "'");
		return;
	}
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		n++;
		if (!decode_first_seen(&k, &d, &imei, &t))
			continue;
		if (k.mv_size != 8 || d.mv_size != 4)
			problem(v, "first_seen entry with a %zu-octet key and %zu-octet value (expected 8 and 4)",
				k.mv_size, d.mv_size);
		else if (imei > EIR_IMEI_MAX)
			problem(v, "first_seen key %llu has more than 14 digits", (unsigned long long)imei);
		else
			problem(v, "%014llu: first_seen time 0", (unsigned long long)imei);
	}
	mdb_cursor_close(c);
	if (n != m->first_seen)
		problem(v, "meta count.first_seen is %llu but %llu first sightings are stored",
			(unsigned long long)m->first_seen, (unsigned long long)n);
}

int eir_store_verify(struct eir_store *s, eir_problem_cb cb, void *ctx, unsigned max_problems)
{
	struct verify v = { .cb = cb, .ctx = ctx, .max = max_problems };
	struct eir_meta m, seen;
	int rc = ensure_txn(s);

	if (rc)
		return rc;
	rc = read_meta(s->txn, s->dbi.meta, &m);
	if (rc)
		return rc;
	if (m.schema != EIR_SCHEMA_VERSION)
		problem(&v, "schema version %llu, expected %d", (unsigned long long)m.schema,
			EIR_SCHEMA_VERSION);
	memset(&seen, 0, sizeof(seen));
	verify_imeis(s, &v, &seen);
	verify_ranges(s, &v, &seen);
	verify_first_seen(s, &v, &m);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		if (seen.count[st] != m.count[st])
			problem(&v, "meta count.%s is %llu but %llu records are stored",
				eir_status_name(st), (unsigned long long)m.count[st],
				(unsigned long long)seen.count[st]);
	}
	if (seen.ranges != m.ranges)
		problem(&v, "meta count.range is %llu but %llu ranges are stored",
			(unsigned long long)m.ranges, (unsigned long long)seen.ranges);
	if (seen.paired_imeis != m.paired_imeis)
		problem(&v, "meta count.paired is %llu but %llu paired records are stored",
			(unsigned long long)m.paired_imeis, (unsigned long long)seen.paired_imeis);
	return (int)(v.found > INT_MAX ? INT_MAX : v.found);
}
