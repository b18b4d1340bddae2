/* Unit tests: every branch of eir_check() and every configurable outcome,
 * against a real store in a scratch directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>
#include <lmdb.h>

#include "imei.h"
#include "policy.h"
#include "record.h"
#include "store.h"
#include "testutil.h"

#define NOW 1800000000
#define I_ACTIVE     35000000000001ULL
#define I_REGISTERED 35000000000002ULL
#define I_TRAVELLER  35000000000003ULL
#define I_EXPIRED    35000000000004ULL
#define I_BLOCKED    35000000000005ULL
#define I_TRACKED    35000000000006ULL
#define I_EXEMPT     35000000000007ULL
#define I_PAIRED_BLK 35000000000008ULL	/* blocked, but paired IMSIs are excepted */
#define I_LOCKED     35000000000009ULL	/* active, locked to its pairs */
#define I_CORRUPT    35000000000010ULL
#define I_RANGE      86000000123456ULL	/* inside TAC 86000000 (blocked) */
#define I_RANGE_REG  86000001000500ULL	/* inside a registered range */
#define I_NONE       99000000000000ULL
#define I_IMPORTED   99000000000001ULL	/* unknown, with an imported first sighting */
#define IMPORTED_AT  (1800007200u - 40 * 86400)

struct fixture {
	char *dir;
	struct eir_store *s;
	uint64_t imsi_paired, imsi_other;
};

static void put(struct eir_writer *w, uint64_t imei, enum eir_status st, uint32_t until,
		uint8_t flags, const uint64_t *imsis, size_t n)
{
	struct eir_record r = { .status = (uint8_t)st, .valid_until = until, .flags = flags };
	eir_writer_put(w, imei, &r, imsis, n);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .map_size = 64ULL << 20 };
	struct eir_writer *w;
	char err[256], gen[512];

	f->dir = tmpdir_new();
	eir_imsi_parse("001010000000001", 15, &f->imsi_paired);
	eir_imsi_parse("001010000000002", 15, &f->imsi_other);
	assert_int_equal(eir_writer_open(&w, f->dir, &o, err, sizeof(err)), 0);
	put(w, I_ACTIVE, EIR_STATUS_ACTIVE, 0, 0, NULL, 0);
	put(w, I_REGISTERED, EIR_STATUS_REGISTERED, 0, 0, NULL, 0);
	put(w, I_TRAVELLER, EIR_STATUS_TRAVELLER, NOW + 1, 0, NULL, 0);
	put(w, I_EXPIRED, EIR_STATUS_TRAVELLER, NOW, 0, NULL, 0);
	put(w, I_BLOCKED, EIR_STATUS_BLOCKED, 0, 0, NULL, 0);
	put(w, I_TRACKED, EIR_STATUS_TRACKED, 0, 0, NULL, 0);
	put(w, I_EXEMPT, EIR_STATUS_EXEMPT, 0, EIR_REC_LOCKED, &f->imsi_paired, 1);
	put(w, I_PAIRED_BLK, EIR_STATUS_BLOCKED, 0, 0, &f->imsi_paired, 1);
	put(w, I_LOCKED, EIR_STATUS_ACTIVE, 0, EIR_REC_LOCKED, &f->imsi_paired, 1);
	assert_true(eir_writer_first_seen_min(w, I_IMPORTED, IMPORTED_AT) >= 0);
	eir_writer_put_range(w, 86000000000000ULL, 86000000999999ULL,
			     &(struct eir_record){ .status = EIR_STATUS_BLOCKED,
						   .reason = eir_writer_reason(w, "counterfeit") });
	eir_writer_put_range(w, 86000001000000ULL, 86000001000999ULL,
			     &(struct eir_record){ .status = EIR_STATUS_REGISTERED });
	assert_int_equal(eir_writer_commit(w, err, sizeof(err)), 0);

	/* A value no writer makes, to drive the failure branch. */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8], v[1] = { 0xff };
	MDB_val key = { 8, k }, val = { 1, v };
	snprintf(gen, sizeof(gen), "%s/gen-1", f->dir);
	eir_u64_put(k, I_CORRUPT);
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 8);
	assert_int_equal(mdb_env_open(env, gen, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, EIR_DBI_IMEI, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	assert_int_equal(eir_store_open(&f->s, f->dir, NULL, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	eir_store_close(f->s);
	tmpdir_free(f->dir);
	free(f);
	return 0;
}

static struct eir_result check(struct fixture *f, const struct eir_policy *p,
			       uint64_t imei, uint64_t imsi)
{
	struct eir_query q = { .imei = { .key = imei, .svn = -1 }, .imsi = imsi };
	struct eir_result r;
	eir_check(f->s, p, &q, NOW, &r);
	return r;
}

#define EXPECT(imei, imsi, v, b) do {					\
	struct eir_result r_ = check(f, &p, imei, imsi);		\
	assert_string_equal(eir_verdict_name(r_.verdict), eir_verdict_name(v));	\
	assert_string_equal(eir_branch_name(r_.branch), eir_branch_name(b));	\
} while (0)

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	struct eir_policy p;
	eir_policy_defaults(&p);

	EXPECT(I_ACTIVE, 0, EIR_WHITELISTED, EIR_BR_ACTIVE);
	EXPECT(I_REGISTERED, 0, EIR_GREYLISTED, EIR_BR_REGISTERED);
	EXPECT(I_TRAVELLER, 0, EIR_WHITELISTED, EIR_BR_TRAVELLER);
	EXPECT(I_EXPIRED, 0, EIR_GREYLISTED, EIR_BR_EXPIRED);
	EXPECT(I_BLOCKED, 0, EIR_BLACKLISTED, EIR_BR_BLOCKED);
	EXPECT(I_TRACKED, 0, EIR_GREYLISTED, EIR_BR_TRACKED);
	/* Exempt wins even over a lock with a foreign IMSI. */
	EXPECT(I_EXEMPT, f->imsi_other, EIR_WHITELISTED, EIR_BR_EXEMPT);
	/* A paired IMSI overrides a block; another IMSI does not. */
	EXPECT(I_PAIRED_BLK, f->imsi_paired, EIR_WHITELISTED, EIR_BR_PAIRED);
	EXPECT(I_PAIRED_BLK, f->imsi_other, EIR_BLACKLISTED, EIR_BR_BLOCKED);
	EXPECT(I_PAIRED_BLK, 0, EIR_BLACKLISTED, EIR_BR_BLOCKED);
	/* Locked: its pair is welcome, anyone else is a mismatch; no IMSI,
	 * no judgement on pairing. */
	EXPECT(I_LOCKED, f->imsi_paired, EIR_WHITELISTED, EIR_BR_PAIRED);
	EXPECT(I_LOCKED, f->imsi_other, EIR_GREYLISTED, EIR_BR_PAIR_MISMATCH);
	EXPECT(I_LOCKED, 0, EIR_WHITELISTED, EIR_BR_ACTIVE);
	/* Ranges take their rule's status. */
	EXPECT(I_RANGE, 0, EIR_BLACKLISTED, EIR_BR_RANGE);
	EXPECT(I_RANGE_REG, 0, EIR_GREYLISTED, EIR_BR_RANGE);
	EXPECT(I_NONE, 0, EIR_GREYLISTED, EIR_BR_UNKNOWN);
	EXPECT(I_CORRUPT, 0, EIR_WHITELISTED, EIR_BR_FAILURE);

	struct eir_result r = check(f, &p, I_RANGE, 0);
	assert_int_equal(r.status, EIR_STATUS_BLOCKED);
	char name[32];
	eir_store_reason_name(f->s, r.reason, name, sizeof(name));
	assert_string_equal(name, "counterfeit");
	r = check(f, &p, I_CORRUPT, 0);
	assert_int_equal(r.store_err, -EBADMSG);

	struct eir_query q = { .imei_err = EIR_IMEI_BAD_CHECK_DIGIT };
	eir_check(f->s, &p, &q, NOW, &r);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	assert_int_equal(r.branch, EIR_BR_INVALID);
	assert_int_equal(r.imei_err, EIR_IMEI_BAD_CHECK_DIGIT);
}

static void test_every_outcome_configurable(void **state)
{
	struct fixture *f = *state;
	static const char *const keys[] = {
		"invalid-imei", "unknown-imei", "registered", "expired", "pair-mismatch", "failure",
	};
	struct eir_policy p;

	for (int v = 0; v < EIR_VERDICT_COUNT; v++) {
		eir_policy_defaults(&p);
		for (size_t k = 0; k < 6; k++)
			assert_int_equal(eir_policy_set(&p, keys[k], eir_verdict_name(v)), 0);
		EXPECT(I_NONE, 0, v, EIR_BR_UNKNOWN);
		EXPECT(I_REGISTERED, 0, v, EIR_BR_REGISTERED);
		EXPECT(I_RANGE_REG, 0, v, EIR_BR_RANGE);
		EXPECT(I_EXPIRED, 0, v, EIR_BR_EXPIRED);
		EXPECT(I_LOCKED, f->imsi_other, v, EIR_BR_PAIR_MISMATCH);
		EXPECT(I_CORRUPT, 0, v, EIR_BR_FAILURE);
		struct eir_query q = { .imei_err = EIR_IMEI_NON_DIGIT };
		struct eir_result r;
		eir_check(f->s, &p, &q, NOW, &r);
		assert_int_equal(r.verdict, v);
		/* Fixed outcomes stay fixed. */
		EXPECT(I_ACTIVE, 0, EIR_WHITELISTED, EIR_BR_ACTIVE);
		EXPECT(I_BLOCKED, 0, EIR_BLACKLISTED, EIR_BR_BLOCKED);
		EXPECT(I_TRACKED, 0, EIR_GREYLISTED, EIR_BR_TRACKED);
	}
}

static void emit(void *ctx, const char *key, const char *value)
{
	char *out = ctx;
	strcat(out, key);
	strcat(out, "=");
	strcat(out, value);
	strcat(out, " ");
}

/* What eird applies on SIGHUP is what a restart applies: the defaults,
 * then the policy node; nothing of the running policy survives. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_cfg(void **state)
{
	char path[] = "/tmp/test_policy_cfgXXXXXX", err[512];
	struct eir_policy p, def;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	eir_policy_defaults(&def);
	/* A valid eird.cfg without a policy node: the defaults. */
	write_file(path, "log stderr\n logging level all notice\neir\n database /var/lib/eir\n"
			 "diameter\n origin-host eir.example.net\n");
	eir_policy_defaults(&p);
	p.unknown_imei = EIR_BLACKLISTED;	/* as a running eird might have it */
	assert_int_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_memory_equal(&p, &def, sizeof(p));
	/* With a node: its settings over the defaults, the rest default. */
	write_file(path, "eir\n database /x\n policy\n  registered blacklisted\n  check-digit strict\n"
			 "diameter\n peer mme1\n");
	p.unknown_imei = EIR_BLACKLISTED;
	assert_int_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(p.registered, EIR_BLACKLISTED);
	assert_int_equal(p.unknown_imei, def.unknown_imei);
	/* A bad value inside the node: refused with file:line, nothing changed. */
	write_file(path, "eir\n policy\n  registered blacklisted\n  expired purple\n");
	struct eir_policy before = p;
	assert_int_not_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":4: bad value 'purple' for 'expired'"));
	assert_memory_equal(&p, &before, sizeof(p));
	unlink(path);
}

static void test_policy_words(void **state)
{
	struct eir_policy p;
	char out[512] = "";

	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "unknown"), 0);
	assert_int_equal(eir_policy_set(&p, "check-digit", "strict"), 0);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "purple"), -EINVAL);
	assert_int_equal(eir_policy_set(&p, "no-such-key", "whitelisted"), -ENOENT);
	assert_int_equal(eir_policy_set(&p, "check-digit", "maybe"), -EINVAL);
	eir_policy_foreach(&p, emit, out);
	assert_string_equal(out, "mode=enforce invalid-imei=blacklisted unknown-imei=unknown registered=greylisted "
			    "expired=greylisted pair-mismatch=greylisted failure=whitelisted "
			    "check-digit=strict time-zone=UTC ");
	assert_int_equal(p.imei_flags & (EIR_IMEI_ALLOW_SPARE0 | EIR_IMEI_IGNORE_CD), 0);
	assert_int_equal(eir_policy_set(&p, "check-digit", "ignore"), 0);
	assert_true(p.imei_flags & EIR_IMEI_IGNORE_CD);
}

/* ---------------------------------------------------------------- grace */

#define DAY 86400
/* 2027-01-15T10:00:00Z, a first sighting in the middle of a UTC day. */
#define FIRST 1800007200u

struct sightings {
	uint64_t imei;
	uint32_t first;
	int asked;
};

static int own_first_seen(void *ctx, uint64_t imei, uint32_t *first)
{
	struct sightings *s = ctx;

	s->asked++;
	if (imei != s->imei)
		return -ENOENT;
	*first = s->first;
	return 0;
}

static struct eir_result check_at(struct fixture *f, const struct eir_policy *p, uint64_t imei, uint64_t imsi,
				  struct sightings *own, int64_t now)
{
	struct eir_query q = { .imei = { .key = imei, .svn = -1 }, .imsi = imsi,
			       .first_seen = own ? own_first_seen : NULL, .first_seen_ctx = own };
	struct eir_result r;

	eir_check(f->s, p, &q, (time_t)now, &r);
	return r;
}

static void test_grace_boundaries(void **state)
{
	struct fixture *f = *state;
	struct sightings own = { .imei = I_NONE, .first = FIRST };
	uint32_t day0 = FIRST - FIRST % DAY;	/* midnight UTC of the first sighting */
	struct eir_policy p;
	struct eir_result r;

	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 30 then blacklisted"), 0);
	assert_int_equal(p.unknown_imei, EIR_GREYLISTED);
	assert_int_equal(eir_grace_end(&p, &p.unknown_grace, FIRST), day0 + 30 * DAY);

	/* Day 0, day DAYS-1 up to its last second: greylisted, in grace. */
	r = check_at(f, &p, I_NONE, 0, &own, FIRST);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	assert_int_equal(r.branch, EIR_BR_UNKNOWN);
	assert_true(r.grace);
	assert_false(r.first_sighting);
	assert_int_equal(r.first_seen, FIRST);
	assert_int_equal(r.grace_end, day0 + 30 * DAY);
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 29 * DAY);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 30 * DAY - 1);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	assert_int_equal(r.branch, EIR_BR_UNKNOWN);
	/* Day DAYS from its first second, and DAYS+1: blacklisted, grace-expired. */
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 30 * DAY);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	assert_true(r.grace);
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 31 * DAY + 5);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	/* Days count from the IMEI, whatever the IMSI. */
	r = check_at(f, &p, I_NONE, f->imsi_other, &own, (int64_t)day0 + 30 * DAY);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);

	/* Nobody saw it: the grace starts now. */
	own.imei = 1;
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 400 * DAY);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	assert_true(r.first_sighting);
	assert_int_equal(r.first_seen, day0 + 400 * DAY);
	r = check_at(f, &p, I_NONE, 0, NULL, (int64_t)day0 + 400 * DAY);
	assert_true(r.first_sighting);

	/* `then greylisted`: past the grace, still grey, but grace-expired. */
	own.imei = I_NONE;
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 30 then greylisted"), 0);
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 30 * DAY);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	/* Back to a plain outcome: no grace at all, nothing asked. */
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "unknown"), 0);
	own.asked = 0;
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)day0 + 300 * DAY);
	assert_int_equal(r.verdict, EIR_UNKNOWN);
	assert_false(r.grace);
	assert_int_equal(own.asked, 0);
}

/* The earlier of the caller's and the imported first sighting counts. */
static void test_grace_imported(void **state)
{
	struct fixture *f = *state;
	struct sightings own = { .imei = I_IMPORTED, .first = FIRST };
	struct eir_policy p;
	struct eir_result r;

	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 30 then blacklisted"), 0);
	/* Seen here today, imported 40 days ago: over. */
	r = check_at(f, &p, I_IMPORTED, 0, &own, FIRST);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	assert_int_equal(r.first_seen, IMPORTED_AT);
	assert_false(r.first_sighting);
	/* Only imported: the same. */
	r = check_at(f, &p, I_IMPORTED, 0, NULL, FIRST);
	assert_int_equal(r.first_seen, IMPORTED_AT);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	/* Seen here earlier than the import says: the own one. */
	own.first = IMPORTED_AT - 5 * DAY;
	r = check_at(f, &p, I_IMPORTED, 0, &own, FIRST);
	assert_int_equal(r.first_seen, IMPORTED_AT - 5 * DAY);
	/* 29 days after the imported one: still in grace. */
	own.first = FIRST;
	r = check_at(f, &p, I_IMPORTED, 0, &own, (int64_t)IMPORTED_AT + 29 * DAY);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	assert_int_equal(r.branch, EIR_BR_UNKNOWN);
}

static void test_grace_time_zone(void **state)
{
	struct fixture *f = *state;
	/* 2026-11-30T21:00:00Z is 2026-12-01 00:30 in Tehran (UTC+03:30). */
	struct sightings own = { .imei = I_NONE, .first = 1796072400u };
	uint32_t tehran_dec2 = 1796072400u - 1800 + DAY;	/* 2026-12-02T00:00+03:30 */
	struct eir_policy p;
	struct eir_result r;

	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 1"), 0);
	assert_int_equal(p.unknown_grace.then, EIR_BLACKLISTED);
	/* In UTC the first sighting is on 30 November: over at 1 December 00:00Z. */
	r = check_at(f, &p, I_NONE, 0, &own, 1796083200 - 1);
	assert_int_equal(r.branch, EIR_BR_UNKNOWN);
	r = check_at(f, &p, I_NONE, 0, &own, 1796083200);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	/* In Tehran it is on 1 December: over at 2 December 00:00+03:30. */
	assert_int_equal(eir_policy_set(&p, "time-zone", "UTC+03:30"), 0);
	assert_int_equal(p.tz_offset, 3 * 3600 + 1800);
	assert_int_equal(eir_grace_end(&p, &p.unknown_grace, own.first), tehran_dec2);
	r = check_at(f, &p, I_NONE, 0, &own, 1796083200);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)tehran_dec2 - 1);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	r = check_at(f, &p, I_NONE, 0, &own, tehran_dec2);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	/* West of UTC: UTC-05:00, the same sighting is on 30 November 16:00. */
	assert_int_equal(eir_policy_set(&p, "time-zone", "UTC-05:00"), 0);
	assert_int_equal(eir_grace_end(&p, &p.unknown_grace, own.first), 1796083200u + 5 * 3600);
}

static void test_grace_registered_and_exempt(void **state)
{
	struct fixture *f = *state;
	struct sightings own = { .first = FIRST };
	int64_t late = (int64_t)FIRST + 100 * DAY;
	struct eir_policy p;
	struct eir_result r;
	static const uint64_t never[] = { I_ACTIVE, I_EXEMPT, I_TRAVELLER, I_BLOCKED, I_TRACKED, I_RANGE };

	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 30 then blacklisted"), 0);
	assert_int_equal(eir_policy_set(&p, "registered", "grace 10 then blacklisted"), 0);
	/* Registered, never activated: its own grace. */
	own.imei = I_REGISTERED;
	r = check_at(f, &p, I_REGISTERED, 0, &own, (int64_t)FIRST + 9 * DAY);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
	assert_int_equal(r.branch, EIR_BR_REGISTERED);
	r = check_at(f, &p, I_REGISTERED, 0, &own, late);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	assert_int_equal(r.status, EIR_STATUS_REGISTERED);
	/* A registered range too. */
	own.imei = I_RANGE_REG;
	r = check_at(f, &p, I_RANGE_REG, 0, &own, late);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	/* Exempt, paired, active and the rest never enter grace. */
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		own.imei = never[i];
		own.asked = 0;
		r = check_at(f, &p, never[i], 0, &own, late);
		assert_false(r.grace);
		assert_int_equal(own.asked, 0);
		assert_int_not_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	}
	own.imei = I_PAIRED_BLK;
	r = check_at(f, &p, I_PAIRED_BLK, f->imsi_paired, &own, late);
	assert_int_equal(r.branch, EIR_BR_PAIRED);
	assert_false(r.grace);
	own.imei = I_LOCKED;
	r = check_at(f, &p, I_LOCKED, f->imsi_paired, &own, late);
	assert_int_equal(r.verdict, EIR_WHITELISTED);
	assert_false(r.grace);
	/* An own sighting that is later than now (a clock set back): in grace. */
	own.imei = I_NONE;
	own.first = FIRST + 50 * DAY;
	r = check_at(f, &p, I_NONE, 0, &own, FIRST);
	assert_int_equal(r.verdict, EIR_GREYLISTED);
}

static void test_monitor_mode(void **state)
{
	struct fixture *f = *state;
	struct sightings own = { .imei = I_NONE, .first = FIRST };
	struct eir_policy p;
	struct eir_result r;

	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_set(&p, "mode", "monitor"), 0);
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 30"), 0);
	r = check_at(f, &p, I_BLOCKED, 0, NULL, FIRST);
	assert_int_equal(r.verdict, EIR_WHITELISTED);
	assert_int_equal(r.decided, EIR_BLACKLISTED);
	assert_true(r.monitored);
	assert_int_equal(r.branch, EIR_BR_BLOCKED);
	r = check_at(f, &p, I_NONE, 0, &own, (int64_t)FIRST + 40 * DAY);
	assert_int_equal(r.verdict, EIR_WHITELISTED);
	assert_int_equal(r.decided, EIR_BLACKLISTED);
	assert_int_equal(r.branch, EIR_BR_GRACE_EXPIRED);
	r = check_at(f, &p, I_ACTIVE, 0, NULL, FIRST);
	assert_int_equal(r.verdict, EIR_WHITELISTED);
	assert_false(r.monitored);
	/* unknown (5422 / 404) is sent whitelisted too; invalid IMEIs as well. */
	assert_int_equal(eir_policy_set(&p, "unknown-imei", "unknown"), 0);
	r = check_at(f, &p, I_NONE, 0, NULL, FIRST);
	assert_int_equal(r.verdict, EIR_WHITELISTED);
	assert_int_equal(r.decided, EIR_UNKNOWN);
	struct eir_query q = { .imei_err = EIR_IMEI_NON_DIGIT };
	eir_check(f->s, &p, &q, NOW, &r);
	assert_int_equal(r.verdict, EIR_WHITELISTED);
	assert_int_equal(r.decided, EIR_BLACKLISTED);
	/* Enforce: decided is what is sent. */
	assert_int_equal(eir_policy_set(&p, "mode", "enforce"), 0);
	r = check_at(f, &p, I_BLOCKED, 0, NULL, FIRST);
	assert_int_equal(r.verdict, EIR_BLACKLISTED);
	assert_int_equal(r.decided, EIR_BLACKLISTED);
	assert_false(r.monitored);
}

static void test_grace_words(void **state)
{
	static const char *const bad[] = {
		"grace", "grace 0", "grace 3651", "grace -5", "grace 30 then", "grace 30 then unknown",
		"grace 30 then whitelisted", "grace 30 blacklisted", "grace 30 then blacklisted x", "grace x",
	};
	static const char *const bad_tz[] = { "UTC+3", "+3:30", "UTC+14:01", "UTC+03:60", "CET", "UTC+03:30x", "" };
	struct eir_policy p, before;
	char out[512] = "";
	int off;

	(void)state;
	eir_policy_defaults(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		before = p;
		assert_int_equal(eir_policy_set(&p, "unknown-imei", bad[i]), -EINVAL);
		assert_memory_equal(&p, &before, sizeof(p));
	}
	/* Grace is for unknown-imei and registered only. */
	assert_int_equal(eir_policy_set(&p, "expired", "grace 30"), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_tz) / sizeof(bad_tz[0]); i++)
		assert_int_equal(eir_tz_parse(bad_tz[i], &off), -EINVAL);
	assert_int_equal(eir_tz_parse("+03:30", &off), 0);
	assert_int_equal(off, 12600);
	assert_int_equal(eir_tz_parse("UTC-14:00", &off), 0);
	assert_int_equal(off, -50400);
	assert_int_equal(eir_policy_set(&p, "mode", "watch"), -EINVAL);

	assert_int_equal(eir_policy_set(&p, "unknown-imei", "grace 30 then blacklisted"), 0);
	assert_int_equal(eir_policy_set(&p, "registered", "grace 7 then greylisted"), 0);
	assert_int_equal(eir_policy_set(&p, "mode", "monitor"), 0);
	assert_int_equal(eir_policy_set(&p, "time-zone", "UTC+03:30"), 0);
	eir_policy_foreach(&p, emit, out);
	assert_string_equal(out, "mode=monitor invalid-imei=blacklisted unknown-imei=grace 30 then blacklisted "
			    "registered=grace 7 then greylisted expired=greylisted pair-mismatch=greylisted "
			    "failure=whitelisted check-digit=spare time-zone=UTC+03:30 ");
}

/* The words eird writes back are the words eir_policy_load reads. */
static void test_load_grace(void **state)
{
	char path[] = "/tmp/test_policy_cfgXXXXXX", err[512];
	struct eir_policy p;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "eir\n policy\n  mode monitor\n  unknown-imei grace 30 then blacklisted\n"
			 "  registered\tgrace 5\n  time-zone UTC+03:30\n");
	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(p.mode, EIR_MODE_MONITOR);
	assert_int_equal(p.unknown_grace.days, 30);
	assert_int_equal(p.registered_grace.days, 5);
	assert_int_equal(p.tz_offset, 12600);
	/* The interfaces' policy nodes are overrides, not the policy. */
	write_file(path, "eir\n policy\n  unknown-imei grace 30 then blacklisted\n"
			 "diameter\n peer mme1\n policy\n  mode monitor\n"
			 "n5g\n listen 127.0.0.1 8080\n policy\n  unknown-imei unknown\n");
	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(p.mode, EIR_MODE_ENFORCE);
	assert_int_equal(p.unknown_imei, EIR_GREYLISTED);
	assert_int_equal(p.unknown_grace.days, 30);
	write_file(path, "diameter\n policy\n  mode monitor\neir\n database /x\n");
	eir_policy_defaults(&p);
	assert_int_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(p.mode, EIR_MODE_ENFORCE);
	write_file(path, "eir\n policy\n  unknown-imei grace 30 then maybe\n");
	assert_int_not_equal(eir_policy_load(path, &p, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":3: bad value 'grace 30 then maybe' for 'unknown-imei'"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_outcome_configurable),
		cmocka_unit_test(test_policy_words),
		cmocka_unit_test(test_load_cfg),
		cmocka_unit_test(test_grace_boundaries),
		cmocka_unit_test(test_grace_imported),
		cmocka_unit_test(test_grace_time_zone),
		cmocka_unit_test(test_grace_registered_and_exempt),
		cmocka_unit_test(test_monitor_mode),
		cmocka_unit_test(test_grace_words),
		cmocka_unit_test(test_load_grace),
	};
	return cmocka_run_group_tests_name("policy", tests, setup, teardown);
}
