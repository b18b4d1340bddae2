/* Unit tests: record codec, writer and reader round trips, generations,
 * sticky errors, the writer lock, the history of applied snapshots,
 * corrupt values, schema checks, verify, walk callbacks; first sightings:
 * min semantics, carried over by a replacement, old databases without
 * them, verify, one writer at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <lmdb.h>

#include "imei.h"
#include "record.h"
#include "store.h"
#include "testutil.h"

#define IMEI_A 35209900176148ULL
#define IMEI_B 49015420323751ULL
#define IMEI_C 35809101685355ULL

static struct eir_writer *wopen(const char *dir, enum eir_write_mode mode)
{
	struct eir_writer_opts o = { .mode = mode, .map_size = 64ULL << 20 };
	struct eir_writer *w = NULL;
	char err[256];

	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), 0);
	return w;
}

static void commit(struct eir_writer *w)
{
	char err[256] = "";
	int rc = eir_writer_commit(w, err, sizeof(err));

	if (rc)
		fail_msg("commit: %s", err);
}

static void test_record_codec(void **state)
{
	struct eir_record r = { .status = EIR_STATUS_TRAVELLER, .reason = 7,
				.valid_until = 1800000000, .flags = EIR_REC_HAS_PAIRS | EIR_REC_LOCKED };
	struct eir_record d;
	uint8_t b[EIR_RECORD_MAX];

	assert_int_equal(eir_record_encode(&r, b), 6);
	assert_int_equal(eir_record_decode(b, 6, &d), 0);
	assert_int_equal(d.status, r.status);
	assert_int_equal(d.reason, 7);
	assert_int_equal(d.flags, r.flags);
	assert_int_equal(d.valid_until, 1800000000);

	r = (struct eir_record){ .status = EIR_STATUS_BLOCKED, .reason = 1 };
	assert_int_equal(eir_record_encode(&r, b), 2);
	assert_int_equal(eir_record_decode(b, 2, &d), 0);
	assert_int_equal(d.valid_until, 0);

	/* Values no writer makes. */
	assert_int_equal(eir_record_decode(b, 1, &d), -EBADMSG);
	assert_int_equal(eir_record_decode(b, 3, &d), -EBADMSG);
	assert_int_equal(eir_record_decode((uint8_t[]){ 0x00, 0 }, 2, &d), -EBADMSG);
	assert_int_equal(eir_record_decode((uint8_t[]){ 0x07, 0 }, 2, &d), -EBADMSG);
	assert_int_equal(eir_record_decode((uint8_t[]){ 0x41, 0 }, 2, &d), -EBADMSG);
	assert_int_equal(eir_record_decode((uint8_t[]){ 0x09, 0 }, 2, &d), -EBADMSG);
	assert_int_equal(eir_record_decode((uint8_t[]){ 0x21, 0 }, 2, &d), -EBADMSG);
	assert_int_equal(eir_record_decode((uint8_t[]){ 0x09, 0, 0, 0, 0, 0 }, 6, &d), -EBADMSG);
}

static void test_imsi_pack(void **state)
{
	uint64_t a, b;
	char s[16];

	assert_int_equal(eir_imsi_parse("001010123456789", 15, &a), 0);
	assert_int_equal(eir_imsi_parse("01010123456789", 14, &b), 0);
	assert_true(a != b);	/* leading zeros are significant */
	eir_imsi_format(a, s);
	assert_string_equal(s, "001010123456789");
	eir_imsi_format(b, s);
	assert_string_equal(s, "01010123456789");
	assert_int_equal(eir_imsi_parse("12345", 5, &a), -EINVAL);
	assert_int_equal(eir_imsi_parse("0010101234567890", 16, &a), -EINVAL);
	assert_int_equal(eir_imsi_parse("00101012345678x", 15, &a), -EINVAL);
}

static void test_round_trip(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE);
	struct eir_record r = { .status = EIR_STATUS_BLOCKED }, got;
	struct eir_meta m = { .kind = "full", .seq = 7, .source = "unit", .created = 1700000000 };
	struct eir_store *s;
	uint64_t imsis[2], first, last, pairs[EIR_MAX_PAIRS];
	char name[32];

	r.reason = eir_writer_reason(w, "stolen");
	assert_int_equal(r.reason, 1);
	assert_int_equal(eir_writer_reason(w, "stolen"), 1);
	assert_int_equal(eir_writer_reason(w, ""), 0);
	eir_writer_put(w, IMEI_A, &r, NULL, 0);
	eir_imsi_parse("001010000000001", 15, &imsis[0]);
	eir_imsi_parse("001010000000002", 15, &imsis[1]);
	eir_writer_put(w, IMEI_B, &(struct eir_record){ .status = EIR_STATUS_ACTIVE,
			.flags = EIR_REC_LOCKED }, imsis, 2);
	eir_writer_put_range(w, 35000000000000ULL, 35000000999999ULL,
			     &(struct eir_record){ .status = EIR_STATUS_TRACKED });
	eir_writer_set_meta(w, &m);
	commit(w);

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(got.status, EIR_STATUS_BLOCKED);
	assert_int_equal(eir_store_reason_name(s, got.reason, name, sizeof(name)), 0);
	assert_string_equal(name, "stolen");
	assert_int_equal(eir_store_get(s, IMEI_C, &got), -ENOENT);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), 0);
	assert_int_equal(got.flags, EIR_REC_HAS_PAIRS | EIR_REC_LOCKED);
	assert_int_equal(eir_store_has_pair(s, IMEI_B, imsis[1]), 1);
	assert_int_equal(eir_store_has_pair(s, IMEI_B, imsis[1] + 1), 0);
	assert_int_equal(eir_store_get_pairs(s, IMEI_B, pairs, EIR_MAX_PAIRS), 2);
	assert_true(pairs[0] == imsis[0] && pairs[1] == imsis[1]);

	/* Ranges: inside, both edges, just outside. */
	assert_int_equal(eir_store_find_range(s, 35000000123456ULL, &first, &last, &got), 0);
	assert_true(first == 35000000000000ULL && last == 35000000999999ULL);
	assert_int_equal(got.status, EIR_STATUS_TRACKED);
	assert_int_equal(eir_store_find_range(s, 35000000000000ULL, &first, &last, &got), 0);
	assert_int_equal(eir_store_find_range(s, 35000000999999ULL, &first, &last, &got), 0);
	assert_int_equal(eir_store_find_range(s, 35000001000000ULL, &first, &last, &got), -ENOENT);
	assert_int_equal(eir_store_find_range(s, 34999999999999ULL, &first, &last, &got), -ENOENT);

	assert_int_equal(eir_store_get_meta(s, &m), 0);
	assert_int_equal(m.seq, 7);
	assert_string_equal(m.source, "unit");
	assert_string_equal(m.kind, "full");
	assert_int_equal(m.count[EIR_STATUS_BLOCKED], 1);
	assert_int_equal(m.count[EIR_STATUS_ACTIVE], 1);
	assert_int_equal(m.ranges, 1);
	assert_int_equal(m.paired_imeis, 1);
	assert_true(m.imported > 0);
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	eir_store_close(s);
	tmpdir_free(dir);
}

static void test_update_and_replace_seen_by_open_reader(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE);
	struct eir_record got;
	struct eir_store *s;
	struct eir_meta m;

	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_begin(s), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);

	/* An update in place: the open batch keeps its snapshot... */
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_BLOCKED }, NULL, 0);
	eir_writer_put(w, IMEI_B, &(struct eir_record){ .status = EIR_STATUS_EXEMPT }, NULL, 0);
	commit(w);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(got.status, EIR_STATUS_ACTIVE);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), -ENOENT);
	/* ...and the next batch sees all of it at once. */
	eir_store_end(s);
	assert_int_equal(eir_store_begin(s), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(got.status, EIR_STATUS_BLOCKED);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), 0);
	assert_int_equal(eir_store_get_meta(s, &m), 0);
	assert_int_equal(m.count[EIR_STATUS_ACTIVE], 0);
	assert_int_equal(m.count[EIR_STATUS_BLOCKED], 1);
	assert_int_equal(m.count[EIR_STATUS_EXEMPT], 1);
	assert_int_equal(eir_store_reopen_count(s), 0);

	/* A replacement: a new generation, picked up by inode at begin. */
	w = wopen(dir, EIR_WRITE_REPLACE);
	eir_writer_put(w, IMEI_C, &(struct eir_record){ .status = EIR_STATUS_TRACKED }, NULL, 0);
	commit(w);
	assert_int_equal(eir_store_get(s, IMEI_C, &got), -ENOENT);	/* old batch */
	assert_int_equal(eir_store_begin(s), 0);
	assert_int_equal(eir_store_reopen_count(s), 1);
	assert_int_equal(eir_store_get(s, IMEI_C, &got), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), -ENOENT);
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	eir_store_close(s);

	/* Only the published generation is left on disk. */
	struct stat st;
	char path[512];
	snprintf(path, sizeof(path), "%s/gen-1", dir);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/gen-2/data.mdb", dir);
	assert_int_equal(stat(path, &st), 0);
	tmpdir_free(dir);
}

static void test_sticky_error_changes_nothing(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE);
	struct eir_record rt = { .status = EIR_STATUS_TRACKED }, got;
	struct eir_store *s;
	const char *msg;
	char err[256];

	eir_writer_put_range(w, 10000000000000ULL, 10000000999999ULL, &rt);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);

	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_BLOCKED }, NULL, 0);
	/* Overlaps the start, the end, sits inside, covers it. */
	eir_writer_put_range(w, 9999999999999ULL, 10000000000000ULL, &rt);
	assert_int_equal(eir_writer_error(w, &msg), -EEXIST);
	assert_non_null(strstr(msg, "overlaps"));
	/* Later steps are no-ops. */
	eir_writer_put(w, IMEI_B, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	assert_int_equal(eir_writer_commit(w, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "overlaps"));

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(got.status, EIR_STATUS_ACTIVE);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), -ENOENT);
	eir_store_close(s);

	const uint64_t bad[][2] = {
		{ 10000000999999ULL, 10000001000005ULL },
		{ 10000000000100ULL, 10000000000200ULL },
		{ 9000000000000ULL, 11000000000000ULL },
	};
	for (size_t i = 0; i < 3; i++) {
		w = wopen(dir, EIR_WRITE_UPDATE);
		eir_writer_put_range(w, bad[i][0], bad[i][1], &rt);
		assert_int_equal(eir_writer_error(w, NULL), -EEXIST);
		eir_writer_abort(w);
	}
	/* Adjacent ranges are fine; invalid input is refused. */
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_put_range(w, 10000001000000ULL, 10000001999999ULL, &rt);
	assert_int_equal(eir_writer_error(w, NULL), 0);
	eir_writer_put_range(w, 5, 4, &rt);
	assert_int_equal(eir_writer_error(w, NULL), -EINVAL);
	eir_writer_abort(w);
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE,
			.flags = EIR_REC_LOCKED }, NULL, 0);
	assert_int_equal(eir_writer_error(w, NULL), -EINVAL);
	eir_writer_abort(w);
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_del(w, IMEI_C);
	assert_int_equal(eir_writer_error(w, NULL), -ENOENT);
	eir_writer_abort(w);
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_del_range(w, 12345);
	assert_int_equal(eir_writer_error(w, NULL), -ENOENT);
	eir_writer_abort(w);
	tmpdir_free(dir);
}

static void test_sorted_bulk_refuses_disorder(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .sorted = true, .map_size = 64ULL << 20 };
	struct eir_writer *w;
	struct eir_store *s;
	char err[256];

	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), 0);
	eir_writer_put(w, IMEI_B, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	assert_int_equal(eir_writer_commit(w, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "out of order"));
	/* Nothing was published and the aborted generation is gone. */
	assert_int_equal(eir_store_open(&s, dir, err, sizeof(err)), -ENOENT);
	tmpdir_free(dir);
}

static void test_writer_lock_and_abort(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer_opts o = { .mode = EIR_WRITE_UPDATE };
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE), *w2;
	struct eir_record got;
	struct eir_store *s;
	char err[256];

	assert_int_equal(eir_writer_open(&w2, dir, &o, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "another writer"));
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);
	w = wopen(dir, EIR_WRITE_REPLACE);
	eir_writer_put(w, IMEI_B, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	eir_writer_abort(w);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), -ENOENT);
	eir_store_close(s);
	tmpdir_free(dir);
}

/* A caller that holds the lock (eir_store_lock) writes through it; any
 * other process finds the lock taken and is told who holds it. */
static int other_process_locked_out(const char *dir)
{
	struct eir_writer_opts o = { .mode = EIR_WRITE_UPDATE };
	struct eir_writer *w;
	struct eir_lock *l;
	char err[512], who[64];
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int rc = eir_store_lock(dir, &l, err, sizeof(err));

		snprintf(who, sizeof(who), ", process %ld", (long)getppid());
		if (rc != -EBUSY || !strstr(err, "another writer holds the database") || !strstr(err, who))
			_exit(1);
		_exit(eir_writer_open(&w, dir, &o, err, sizeof(err)) == -EBUSY ? 0 : 2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_lock_held_by_caller(void **state)
{
	char *dir = tmpdir_new(), err[512];
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .map_size = 64ULL << 20 };
	struct eir_writer *w;
	struct eir_record got;
	struct eir_store *s;
	struct eir_lock *l;

	assert_int_equal(eir_store_lock(dir, &l, err, sizeof(err)), 0);
	assert_int_equal(other_process_locked_out(dir), 0);
	o.lock = l;
	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), 0);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);
	/* The writer neither took nor released it. */
	assert_int_equal(other_process_locked_out(dir), 0);
	o.mode = EIR_WRITE_UPDATE;
	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), 0);
	eir_writer_put(w, IMEI_B, &(struct eir_record){ .status = EIR_STATUS_BLOCKED }, NULL, 0);
	eir_writer_abort(w);
	assert_int_equal(other_process_locked_out(dir), 0);
	eir_store_unlock(l);
	assert_int_equal(other_process_locked_out(dir), 1);	/* free: the child got it */
	assert_int_equal(eir_store_lock(dir, &l, err, sizeof(err)), 0);
	eir_store_unlock(l);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), -ENOENT);
	eir_store_close(s);
	tmpdir_free(dir);
}

static void test_missing_db(void **state)
{
	char *dir = tmpdir_new();
	struct eir_store *s;
	char err[512];

	assert_int_equal(eir_store_open(&s, dir, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no EIR database"));
	assert_int_equal(eir_store_open(&s, "/nonexistent/eir", err, sizeof(err)), -ENOENT);
	tmpdir_free(dir);
}

/* Write raw bytes into a generation with LMDB itself, as corruption would. */
static void raw_put(const char *gen, const char *dbname, const void *k, size_t kn,
		    const void *v, size_t vn)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kn, (void *)k }, val = { vn, (void *)v };

	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 8);
	assert_int_equal(mdb_env_open(env, gen, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, dbname, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void raw_del(const char *gen, const char *dbname, const char *key)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(key), (void *)key };

	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 8);
	assert_int_equal(mdb_env_open(env, gen, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, dbname, 0, &dbi), 0);
	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void hist_write(const char *dir, enum eir_write_mode mode, uint64_t seq, const char *source)
{
	struct eir_writer *w = wopen(dir, mode);
	struct eir_meta m = { .seq = seq, .created = 1000 + seq };

	snprintf(m.kind, sizeof(m.kind), "%s", mode == EIR_WRITE_REPLACE ? "full" : "delta");
	snprintf(m.source, sizeof(m.source), "%s", source);
	eir_writer_put(w, 35000000000000ULL + seq, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	eir_writer_set_meta(w, &m);
	commit(w);
}

/* The snapshot applied as seq: 0 with *a, or an error. */
static int applied(const char *dir, uint64_t seq, struct eir_applied *a)
{
	struct eir_store *s;
	int rc = eir_store_open(&s, dir, NULL, 0);

	if (rc)
		return rc;
	rc = eir_store_find_applied(s, seq, a);
	eir_store_close(s);
	return rc;
}

static void test_history(void **state)
{
	char *dir = tmpdir_new(), gen[600];
	struct eir_applied a;
	struct eir_store *s;

	hist_write(dir, EIR_WRITE_REPLACE, 1, "reg");
	hist_write(dir, EIR_WRITE_UPDATE, 2, "reg");
	hist_write(dir, EIR_WRITE_UPDATE, 3, "reg");
	assert_int_equal(applied(dir, 1, &a), 0);
	assert_string_equal(a.source, "reg");
	assert_string_equal(a.kind, "full");
	assert_int_equal(a.created, 1001);
	assert_int_equal(applied(dir, 2, &a), 0);
	assert_string_equal(a.kind, "delta");
	assert_int_equal(applied(dir, 4, &a), -ENOENT);
	/* A replacement carries the history on. */
	hist_write(dir, EIR_WRITE_REPLACE, 5, "reg");
	assert_int_equal(applied(dir, 1, &a), 0);
	assert_int_equal(applied(dir, 3, &a), 0);
	assert_int_equal(applied(dir, 5, &a), 0);
	/* Forced back to 2: what was at or above it is gone. */
	hist_write(dir, EIR_WRITE_REPLACE, 2, "other");
	assert_int_equal(applied(dir, 2, &a), 0);
	assert_string_equal(a.source, "other");
	assert_int_equal(applied(dir, 3, &a), -ENOENT);
	assert_int_equal(applied(dir, 5, &a), -ENOENT);
	assert_int_equal(applied(dir, 1, &a), 0);

	/* A database written before the history: its current snapshot only,
	 * and the next write starts the history from it. */
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	snprintf(gen, sizeof(gen), "%s", eir_store_path(s));
	eir_store_close(s);
	raw_del(gen, EIR_DBI_META, EIR_META_HISTORY);
	assert_int_equal(applied(dir, 2, &a), 0);
	assert_string_equal(a.source, "other");
	assert_int_equal(applied(dir, 1, &a), -ENOENT);
	hist_write(dir, EIR_WRITE_UPDATE, 3, "reg");
	assert_int_equal(applied(dir, 2, &a), 0);
	assert_int_equal(applied(dir, 3, &a), 0);

	/* Only the last EIR_HISTORY_MAX are kept. */
	uint64_t last = 3 + EIR_HISTORY_MAX;
	for (uint64_t seq = 4; seq <= last; seq++)
		hist_write(dir, EIR_WRITE_UPDATE, seq, "reg");
	assert_int_equal(applied(dir, last - EIR_HISTORY_MAX, &a), -ENOENT);
	assert_int_equal(applied(dir, last - EIR_HISTORY_MAX + 1, &a), 0);
	assert_int_equal(applied(dir, last, &a), 0);
	assert_int_equal(a.seq, last);
	tmpdir_free(dir);
}

static void test_corrupt_value_and_schema(void **state)
{
	char *dir = tmpdir_new(), gen[512], err[512];
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE);
	struct eir_record got;
	struct eir_store *s;
	uint8_t key[8], bad[3] = { 1, 2, 3 }, ver[8];
	unsigned problems = 0;

	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);
	snprintf(gen, sizeof(gen), "%s/gen-1", dir);
	eir_u64_put(key, IMEI_B);
	raw_put(gen, EIR_DBI_IMEI, key, 8, bad, sizeof(bad));

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(eir_store_get(s, IMEI_B, &got), -EBADMSG);
	/* verify finds the bad value and the count mismatch it implies. */
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 1);
	eir_store_close(s);

	/* Orphan pair entry and a wrong count. */
	eir_u64_put(key, IMEI_C);
	raw_put(gen, EIR_DBI_PAIR, key, 8, key, 8);
	eir_u64_put(ver, 99);
	raw_put(gen, EIR_DBI_META, EIR_META_COUNT_PREFIX "active", strlen(EIR_META_COUNT_PREFIX "active"), ver, 8);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	problems = (unsigned)eir_store_verify(s, NULL, NULL, 0);
	assert_int_equal(problems, 3);
	eir_store_close(s);

	/* Another schema version is refused with a clear message. */
	raw_put(gen, EIR_DBI_META, EIR_META_SCHEMA, strlen(EIR_META_SCHEMA), ver, 8);
	assert_int_equal(eir_store_open(&s, dir, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "schema version 99"));
	struct eir_writer_opts o = { .mode = EIR_WRITE_UPDATE };
	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), -EPROTO);
	tmpdir_free(dir);
}

static int count_cb(void *ctx, uint64_t imei, const struct eir_record *rec,
		    const uint64_t *imsis, size_t n)
{
	uint64_t *c = ctx;
	(void)imei, (void)rec, (void)imsis;
	c[0]++;
	c[1] += n;
	return 0;
}

static void test_walk(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE);
	struct eir_store *s;
	uint64_t c[2] = { 0 }, imsi;

	eir_imsi_parse("001010000000001", 15, &imsi);
	for (uint64_t i = 0; i < 1000; i++)
		eir_writer_put(w, 35000000000000ULL + i * 1000, &(struct eir_record){
			.status = EIR_STATUS_ACTIVE }, &imsi, i % 10 == 0);
	commit(w);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_walk_imei(s, 0, EIR_IMEI_MAX, count_cb, c), 0);
	assert_true(c[0] == 1000 && c[1] == 100);
	c[0] = c[1] = 0;
	/* One TAC holds keys 0..999 * 1000 -> all 1000; a narrower window. */
	assert_int_equal(eir_store_walk_imei(s, 35000000000000ULL, 35000000009999ULL, count_cb, c), 0);
	assert_true(c[0] == 10 && c[1] == 1);
	eir_store_close(s);
	tmpdir_free(dir);
}

/* A callback that stops the walk with ret on its first call. */
struct stop {
	int ret;
	unsigned calls;
};

static int stop_range_cb(void *ctx, uint64_t first, uint64_t last, const struct eir_record *rec)
{
	struct stop *st = ctx;
	(void)first, (void)last, (void)rec;
	st->calls++;
	return st->ret;
}

static int stop_imei_cb(void *ctx, uint64_t imei, const struct eir_record *rec,
			const uint64_t *imsis, size_t n)
{
	struct stop *st = ctx;
	(void)imei, (void)rec, (void)imsis, (void)n;
	st->calls++;
	return st->ret;
}

/* Whatever a callback returns, of either sign, comes back untouched; 0
 * goes on to the end. MDB_NOTFOUND is the value the walk itself meets at
 * the end of the data, so it must not be taken for that. */
static void test_walk_returns_callback_value(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w = wopen(dir, EIR_WRITE_REPLACE);
	struct eir_record r = { .status = EIR_STATUS_TRACKED };
	const int rets[] = { 7, 1, -ECANCELED, MDB_NOTFOUND };
	struct eir_store *s;
	struct stop st;

	for (uint64_t i = 0; i < 3; i++) {
		eir_writer_put_range(w, 35000000000000ULL + i * 1000000,
				     35000000999999ULL + i * 1000000, &r);
		eir_writer_put(w, IMEI_A + i, &r, NULL, 0);
	}
	for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		st = (struct stop){ .ret = rets[i] };
		assert_int_equal(eir_writer_walk(w, stop_imei_cb, &st), rets[i]);
		assert_int_equal(st.calls, 1);
	}
	st = (struct stop){ 0 };
	assert_int_equal(eir_writer_walk(w, stop_imei_cb, &st), 0);
	assert_int_equal(st.calls, 3);
	commit(w);

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		st = (struct stop){ .ret = rets[i] };
		assert_int_equal(eir_store_walk_range(s, 0, EIR_IMEI_MAX, stop_range_cb, &st), rets[i]);
		assert_int_equal(st.calls, 1);
		st = (struct stop){ .ret = rets[i] };
		assert_int_equal(eir_store_walk_imei(s, 0, EIR_IMEI_MAX, stop_imei_cb, &st), rets[i]);
		assert_int_equal(st.calls, 1);
	}
	st = (struct stop){ 0 };
	assert_int_equal(eir_store_walk_range(s, 0, EIR_IMEI_MAX, stop_range_cb, &st), 0);
	assert_int_equal(st.calls, 3);
	st = (struct stop){ 0 };
	assert_int_equal(eir_store_walk_imei(s, 0, EIR_IMEI_MAX, stop_imei_cb, &st), 0);
	assert_int_equal(st.calls, 3);
	/* The rules that overlap the window, and only those. */
	st = (struct stop){ 0 };
	assert_int_equal(eir_store_walk_range(s, 35000001500000ULL, 35000002000000ULL,
					      stop_range_cb, &st), 0);
	assert_int_equal(st.calls, 2);
	eir_store_close(s);
	tmpdir_free(dir);
}

/* A writer that grows the map under an open reader: the reader's next
 * batch meets MDB_MAP_RESIZED, adopts the new size and carries on. */
static void test_reader_survives_map_growth(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer_opts small = { .mode = EIR_WRITE_REPLACE, .map_size = 1ULL << 20 };
	struct eir_writer_opts big = { .mode = EIR_WRITE_UPDATE, .map_size = 256ULL << 20 };
	struct eir_writer *w;
	struct eir_record got;
	struct eir_store *s;
	char err[256];

	assert_int_equal(eir_writer_open(&w, dir, &small, err, sizeof(err)), 0);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	eir_store_end(s);

	/* 200k records need far more than the first megabyte. */
	assert_int_equal(eir_writer_open(&w, dir, &big, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < 200000; i++)
		eir_writer_put(w, 40000000000000ULL + i, &(struct eir_record){ .status = EIR_STATUS_BLOCKED }, NULL, 0);
	commit(w);

	assert_int_equal(eir_store_begin(s), 0);
	assert_int_equal(eir_store_get(s, 40000000199999ULL, &got), 0);
	assert_int_equal(got.status, EIR_STATUS_BLOCKED);
	assert_int_equal(eir_store_reopen_count(s), 0);	/* same generation, bigger map */
	eir_store_close(s);
	tmpdir_free(dir);
}

/* A reader process loops over batches while the writer alternates full
 * replacements and in-place updates. Every record of generation k carries
 * valid_until = BASE_T + k and meta seq = k, so a batch that mixed two
 * states would see a record that disagrees with the seq it read. */
#define STRESS_IMEIS 500
#define STRESS_GENS 30
#define BASE_T 1000000000u

static void stress_write(const char *dir, uint64_t k)
{
	struct eir_writer *w = wopen(dir, k % 2 ? EIR_WRITE_REPLACE : EIR_WRITE_UPDATE);
	struct eir_meta m = { .kind = "full", .seq = k, .source = "stress" };

	for (uint64_t i = 0; i < STRESS_IMEIS; i++)
		eir_writer_put(w, 35000000000000ULL + i * 7, &(struct eir_record){
			.status = EIR_STATUS_TRAVELLER, .valid_until = BASE_T + (uint32_t)k }, NULL, 0);
	eir_writer_set_meta(w, &m);
	commit(w);
}

static int stress_reader(const char *dir, int stop_fd)
{
	struct eir_store *s;
	struct eir_record rec;
	struct eir_meta m;
	uint64_t batches = 0, rnd = 12345;
	char c;

	if (eir_store_open(&s, dir, NULL, 0))
		return 10;
	for (;;) {
		if (eir_store_begin(s) || eir_store_get_meta(s, &m))
			return 11;
		for (int j = 0; j < 50; j++) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			uint64_t imei = 35000000000000ULL + ((rnd >> 33) % STRESS_IMEIS) * 7;
			if (eir_store_get(s, imei, &rec))
				return 12;
			if (rec.valid_until != BASE_T + m.seq)
				return 13;	/* mixed state */
		}
		eir_store_end(s);
		batches++;
		if (read(stop_fd, &c, 1) == 0)
			break;
	}
	int rc = batches > 0 && eir_store_reopen_count(s) > 0 ? 0 : 14;
	eir_store_close(s);
	return rc;
}

static void test_reader_never_sees_mixed_state(void **state)
{
	char *dir = tmpdir_new();
	int pfd[2], status;
	pid_t pid;

	stress_write(dir, 1);
	assert_int_equal(pipe(pfd), 0);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[1]);
		_exit(stress_reader(dir, pfd[0]));
	}
	close(pfd[0]);
	for (uint64_t k = 2; k <= STRESS_GENS; k++)
		stress_write(dir, k);
	close(pfd[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	tmpdir_free(dir);
}

/* ------------------------------------------------------- first sightings */

static uint32_t fs_get(struct eir_store *s, uint64_t imei)
{
	uint32_t t = 0;
	int rc = eir_store_get_first_seen(s, imei, &t);

	if (rc == -ENOENT)
		return 0;
	assert_int_equal(rc, 0);
	assert_true(t != 0);
	return t;
}

/* The first sighting of imei in dir, 0 when none. */
static uint32_t fs_of(const char *dir, uint64_t imei)
{
	struct eir_store *s;
	uint32_t t;

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	t = fs_get(s, imei);
	eir_store_close(s);
	return t;
}

static struct eir_meta meta_of(const char *dir)
{
	struct eir_meta m;

	assert_int_equal(eir_store_read_meta(dir, &m), 0);
	return m;
}

static int verify_of(const char *dir)
{
	struct eir_store *s;
	int rc;

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	rc = eir_store_verify(s, NULL, NULL, 0);
	eir_store_close(s);
	return rc;
}

static int fs_list_cb(void *ctx, uint64_t imei, uint32_t t)
{
	uint64_t *l = ctx;

	l[1 + 2 * l[0]] = imei;
	l[2 + 2 * l[0]] = t;
	l[0]++;
	return l[0] == 8 ? 99 : 0;
}

/* A registry database at seq 1 with IMEI_A, through a REPLACE. */
static void fs_registry(const char *dir, uint64_t seq)
{
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .sorted = true, .map_size = 64ULL << 20 };
	struct eir_meta m = { .kind = "full", .seq = seq, .source = "unit" };
	struct eir_writer *w;
	char err[256];

	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), 0);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	eir_writer_put(w, IMEI_B + seq, &(struct eir_record){ .status = EIR_STATUS_BLOCKED }, NULL, 0);
	eir_writer_set_meta(w, &m);
	commit(w);
}

static void test_first_seen_min(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w;
	struct eir_store *s;
	struct eir_meta m;
	uint64_t l[1 + 2 * 8] = { 0 };
	const char *msg;

	fs_registry(dir, 1);
	assert_int_equal(fs_of(dir, IMEI_A), 0);
	w = wopen(dir, EIR_WRITE_UPDATE);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_A, 2000), EIR_FS_NEW);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_A, 3000), EIR_FS_KEPT);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_A, 2000), EIR_FS_KEPT);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_A, 1500), EIR_FS_EARLIER);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_C, 4000), EIR_FS_NEW);
	/* Any IMEI, in the registry or not. */
	assert_int_equal(eir_writer_first_seen_min(w, EIR_IMEI_MAX, UINT32_MAX), EIR_FS_NEW);
	eir_writer_counts(w, &m);
	assert_int_equal(m.first_seen, 3);
	eir_writer_set_first_seen_import(w, "node1.csv", 1800000000);
	commit(w);

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(fs_get(s, IMEI_A), 1500);
	assert_int_equal(fs_get(s, IMEI_C), 4000);
	assert_int_equal(fs_get(s, EIR_IMEI_MAX), UINT32_MAX);
	assert_int_equal(fs_get(s, IMEI_B), 0);
	assert_int_equal(eir_store_get_meta(s, &m), 0);
	assert_int_equal(m.first_seen, 3);
	assert_int_equal(m.first_seen_imported, 1800000000);
	assert_string_equal(m.first_seen_source, "node1.csv");
	/* The snapshot identity stays: a delta based on seq 1 still fits. */
	assert_int_equal(m.seq, 1);
	assert_string_equal(m.kind, "full");
	/* In key order; a window; a callback's stop. */
	assert_int_equal(eir_store_walk_first_seen(s, 0, EIR_IMEI_MAX, fs_list_cb, l), 0);
	assert_int_equal(l[0], 3);
	assert_true(l[1] == IMEI_A && l[2] == 1500 && l[3] == IMEI_C && l[4] == 4000 && l[5] == EIR_IMEI_MAX);
	memset(l, 0, sizeof(l));
	assert_int_equal(eir_store_walk_first_seen(s, IMEI_A + 1, EIR_IMEI_MAX - 1, fs_list_cb, l), 0);
	assert_true(l[0] == 1 && l[1] == IMEI_C);
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	eir_store_close(s);

	/* The same again, or later times: nothing changes. */
	w = wopen(dir, EIR_WRITE_UPDATE);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_C, 4000), EIR_FS_KEPT);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_A, 1501), EIR_FS_KEPT);
	commit(w);
	assert_int_equal(fs_of(dir, IMEI_A), 1500);
	assert_int_equal(meta_of(dir).first_seen, 3);

	/* Invalid input is the sticky error; nothing of the write lands. */
	w = wopen(dir, EIR_WRITE_UPDATE);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_B, 100), EIR_FS_NEW);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_A, 0), -EINVAL);
	assert_int_equal(eir_writer_error(w, &msg), -EINVAL);
	assert_non_null(strstr(msg, "invalid first sighting"));
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_C, 10), -EINVAL);	/* a no-op now */
	assert_int_equal(eir_writer_commit(w, NULL, 0), -EINVAL);
	w = wopen(dir, EIR_WRITE_UPDATE);
	assert_int_equal(eir_writer_first_seen_min(w, EIR_IMEI_MAX + 1, 100), -EINVAL);
	eir_writer_abort(w);
	assert_int_equal(fs_of(dir, IMEI_B), 0);
	assert_int_equal(fs_of(dir, IMEI_C), 4000);
	assert_int_equal(verify_of(dir), 0);
	tmpdir_free(dir);
}

/* A full import builds a new generation: the first sightings, their count
 * and the record of the last first-seen import must be in it, unchanged,
 * or every full import would reset everyone's grace period. */
static void test_first_seen_survives_replace(void **state)
{
	char *dir = tmpdir_new(), err[256];
	struct eir_writer_opts o = { .mode = EIR_WRITE_REPLACE, .map_size = 64ULL << 20 };
	struct eir_writer *w;
	struct eir_store *s;
	struct eir_record got;
	struct eir_lock *l;
	struct eir_meta m;

	fs_registry(dir, 1);
	w = wopen(dir, EIR_WRITE_UPDATE);
	for (uint64_t i = 0; i < 5000; i++)
		eir_writer_first_seen_min(w, 86000001000000ULL + i * 3, 1700000000 + (uint32_t)i);
	eir_writer_set_first_seen_import(w, "node2.csv.gz", 1800000001);
	commit(w);

	/* The full import runs beside an open reader, in a process of its
	 * own as eir-sync does: a sorted bulk load with its own lock. */
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_begin(s), 0);
	pid_t pid = fork();
	int status;
	assert_true(pid >= 0);
	if (pid == 0) {
		fs_registry(dir, 2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	eir_store_end(s);
	assert_int_equal(eir_store_begin(s), 0);
	assert_int_equal(eir_store_reopen_count(s), 1);
	assert_int_equal(eir_store_get(s, IMEI_B + 1, &got), -ENOENT);	/* the registry data was replaced */
	assert_int_equal(eir_store_get(s, IMEI_B + 2, &got), 0);
	for (uint64_t i = 0; i < 5000; i += 499)
		assert_int_equal(fs_get(s, 86000001000000ULL + i * 3), 1700000000 + i);
	assert_int_equal(fs_get(s, 86000001000001ULL), 0);
	assert_int_equal(eir_store_get_meta(s, &m), 0);
	assert_int_equal(m.seq, 2);
	assert_int_equal(m.first_seen, 5000);
	assert_int_equal(m.first_seen_imported, 1800000001);
	assert_string_equal(m.first_seen_source, "node2.csv.gz");
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	eir_store_close(s);

	/* A replacement through the caller's lock, which then lowers one
	 * sighting itself: carried over first, then changed. */
	assert_int_equal(eir_store_lock(dir, &l, err, sizeof(err)), 0);
	o.lock = l;
	assert_int_equal(eir_writer_open(&w, dir, &o, err, sizeof(err)), 0);
	eir_writer_put(w, IMEI_C, &(struct eir_record){ .status = EIR_STATUS_TRACKED }, NULL, 0);
	assert_int_equal(eir_writer_first_seen_min(w, 86000001000000ULL, 5), EIR_FS_EARLIER);
	assert_int_equal(eir_writer_first_seen_min(w, 86000001000003ULL, 1800000000), EIR_FS_KEPT);
	commit(w);
	eir_store_unlock(l);
	assert_int_equal(fs_of(dir, 86000001000000ULL), 5);
	assert_int_equal(fs_of(dir, 86000001000003ULL), 1700000001);
	assert_int_equal(meta_of(dir).first_seen, 5000);
	/* An aborted replacement leaves them where they were. */
	w = wopen(dir, EIR_WRITE_REPLACE);
	eir_writer_abort(w);
	assert_int_equal(fs_of(dir, 86000001000003ULL), 1700000001);
	assert_int_equal(verify_of(dir), 0);
	tmpdir_free(dir);
}

/* Drop the first_seen sub-db and its meta from a generation: a database
 * as a build before first sightings wrote it. */
static void make_old(const char *dir)
{
	char gen[600];
	struct eir_store *s;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	snprintf(gen, sizeof(gen), "%s", eir_store_path(s));
	eir_store_close(s);
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 8);
	assert_int_equal(mdb_env_open(env, gen, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, EIR_DBI_FIRST_SEEN, 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	raw_del(gen, EIR_DBI_META, EIR_META_COUNT_PREFIX "first_seen");
}

static void test_first_seen_old_database(void **state)
{
	char *dir = tmpdir_new();
	struct eir_writer *w;
	struct eir_store *s;
	struct eir_record got;
	struct eir_meta m;
	uint64_t l[1 + 2 * 8] = { 0 };
	uint32_t t;

	/* (One environment per database and process at a time, as LMDB
	 * wants: a second one in the same process takes itself for the only
	 * user and resets the reader table under the first.) */
	fs_registry(dir, 1);
	make_old(dir);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get(s, IMEI_A, &got), 0);
	assert_int_equal(eir_store_get_first_seen(s, IMEI_A, &t), -ENOENT);
	assert_int_equal(eir_store_walk_first_seen(s, 0, EIR_IMEI_MAX, fs_list_cb, l), 0);
	assert_int_equal(l[0], 0);
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	assert_int_equal(eir_store_get_meta(s, &m), 0);
	assert_int_equal(m.first_seen, 0);

	/* A writer adds the sub-db to the generation in service; the open
	 * reader finds it in a batch that begins a second later at most. The
	 * writer is another process, as eir-sync is to eird. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct eir_writer_opts o = { .mode = EIR_WRITE_UPDATE };
		if (eir_writer_open(&w, dir, &o, NULL, 0) ||
		    eir_writer_first_seen_min(w, IMEI_A, 1234) != EIR_FS_NEW || eir_writer_commit(w, NULL, 0))
			_exit(1);
		_exit(0);
	}
	int status, found = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 40 && !found; i++) {
		eir_store_end(s);
		assert_int_equal(eir_store_begin(s), 0);
		found = eir_store_get_first_seen(s, IMEI_A, &t) == 0;
		if (!found)
			usleep(100000);
	}
	assert_true(found);
	assert_int_equal(t, 1234);
	assert_int_equal(eir_store_reopen_count(s), 0);
	assert_int_equal(eir_store_verify(s, NULL, NULL, 0), 0);
	eir_store_close(s);

	/* A replacement of an old database has nothing to carry and works. */
	fs_registry(dir, 2);
	make_old(dir);
	fs_registry(dir, 3);
	assert_int_equal(meta_of(dir).seq, 3);
	assert_int_equal(fs_of(dir, IMEI_A), 0);
	assert_int_equal(verify_of(dir), 0);
	tmpdir_free(dir);
}

static void test_first_seen_verify(void **state)
{
	char *dir = tmpdir_new(), gen[600];
	uint8_t key[8], bad3[3] = { 1, 2, 3 }, zero[4] = { 0 }, cnt[8];
	struct eir_writer *w;
	struct eir_store *s;
	uint32_t t;

	fs_registry(dir, 1);
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_first_seen_min(w, IMEI_A, 1000);
	eir_writer_first_seen_min(w, IMEI_C, 2000);
	commit(w);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	snprintf(gen, sizeof(gen), "%s", eir_store_path(s));
	eir_store_close(s);

	/* A value of the wrong size and a zero time: two problems, and the
	 * count (2) no longer matches the 4 entries. */
	eir_u64_put(key, IMEI_B);
	raw_put(gen, EIR_DBI_FIRST_SEEN, key, 8, bad3, sizeof(bad3));
	eir_u64_put(key, IMEI_B + 1);
	raw_put(gen, EIR_DBI_FIRST_SEEN, key, 8, zero, sizeof(zero));
	assert_int_equal(verify_of(dir), 3);
	assert_int_equal(eir_store_open(&s, dir, NULL, 0), 0);
	assert_int_equal(eir_store_get_first_seen(s, IMEI_B, &t), -EBADMSG);
	assert_int_equal(eir_store_get_first_seen(s, IMEI_B + 1, &t), -EBADMSG);
	assert_int_equal(eir_store_get_first_seen(s, IMEI_A, &t), 0);
	eir_store_close(s);
	/* A key of the wrong size, a count that lies. */
	raw_put(gen, EIR_DBI_FIRST_SEEN, "abc", 3, zero, sizeof(zero));
	eir_u64_put(cnt, 4);
	raw_put(gen, EIR_DBI_META, EIR_META_COUNT_PREFIX "first_seen", strlen(EIR_META_COUNT_PREFIX "first_seen"),
		cnt, 8);
	assert_int_equal(verify_of(dir), 4);

	/* An update repairs a corrupt value it lowers... */
	w = wopen(dir, EIR_WRITE_UPDATE);
	assert_int_equal(eir_writer_first_seen_min(w, IMEI_B, 3000), EIR_FS_EARLIER);
	commit(w);
	assert_int_equal(fs_of(dir, IMEI_B), 3000);
	/* ...and a replacement carries only what is well formed, counted. */
	fs_registry(dir, 2);
	assert_int_equal(verify_of(dir), 0);
	assert_int_equal(meta_of(dir).first_seen, 3);
	assert_int_equal(fs_of(dir, IMEI_A), 1000);
	assert_int_equal(fs_of(dir, IMEI_B), 3000);
	assert_int_equal(fs_of(dir, IMEI_C), 2000);
	tmpdir_free(dir);
}

/* One writer at a time: a first-seen update cannot start while a
 * replacement is being built from a copy of the generation in service
 * (it would write into the generation about to be replaced and be lost),
 * nor a replacement while an update is open (its copy would miss it). */
static void test_first_seen_and_replace_serialised(void **state)
{
	char *dir = tmpdir_new(), err[512];
	struct eir_writer_opts upd = { .mode = EIR_WRITE_UPDATE }, rep = { .mode = EIR_WRITE_REPLACE };
	struct eir_writer *w, *w2;

	fs_registry(dir, 1);
	w = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_first_seen_min(w, IMEI_A, 1000);
	commit(w);

	w = wopen(dir, EIR_WRITE_REPLACE);
	eir_writer_put(w, IMEI_C, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	assert_int_equal(eir_writer_open(&w2, dir, &upd, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "another writer holds the database"));
	commit(w);
	/* The refused update, run again once the replacement is published. */
	w2 = wopen(dir, EIR_WRITE_UPDATE);
	eir_writer_first_seen_min(w2, IMEI_B, 2000);
	assert_int_equal(eir_writer_open(&w, dir, &rep, err, sizeof(err)), -EBUSY);
	commit(w2);
	w = wopen(dir, EIR_WRITE_REPLACE);
	eir_writer_put(w, IMEI_A, &(struct eir_record){ .status = EIR_STATUS_ACTIVE }, NULL, 0);
	commit(w);
	assert_int_equal(fs_of(dir, IMEI_A), 1000);
	assert_int_equal(fs_of(dir, IMEI_B), 2000);
	assert_int_equal(meta_of(dir).first_seen, 2);
	assert_int_equal(verify_of(dir), 0);
	tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_codec),
		cmocka_unit_test(test_imsi_pack),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_update_and_replace_seen_by_open_reader),
		cmocka_unit_test(test_sticky_error_changes_nothing),
		cmocka_unit_test(test_sorted_bulk_refuses_disorder),
		cmocka_unit_test(test_writer_lock_and_abort),
		cmocka_unit_test(test_lock_held_by_caller),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_missing_db),
		cmocka_unit_test(test_corrupt_value_and_schema),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_returns_callback_value),
		cmocka_unit_test(test_reader_never_sees_mixed_state),
		cmocka_unit_test(test_reader_survives_map_growth),
		cmocka_unit_test(test_first_seen_min),
		cmocka_unit_test(test_first_seen_survives_replace),
		cmocka_unit_test(test_first_seen_old_database),
		cmocka_unit_test(test_first_seen_verify),
		cmocka_unit_test(test_first_seen_and_replace_serialised),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
