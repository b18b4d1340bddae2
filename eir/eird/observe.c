/* What eird was asked, recorded off the answer path (docs/observed.md).
 *
 * The answer path only touches memory: every query of an interval updates
 * its (IMEI, IMSI) entry in an in-memory table (first and last seen, count,
 * last verdict), bounded by `observed-queue` distinct pairs; a pair beyond
 * that is dropped and counted, never waited for. Every
 * `observed-batch-interval` the timer hands the table to a writer thread,
 * which merges it into the LMDB store in one transaction and then expires
 * a bounded step of old pairs, while a second table fills. A crash loses
 * at most the interval in memory.
 *
 * The grace period asks when this node first saw an IMEI: the store
 * answers (a read transaction per loop turn, renewed like the registry's),
 * then the table being written, then the one filling. A written table is
 * recycled only after the read transaction was ended, so the next lookup
 * sees its commit: no sighting is ever missed in between. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "eird.h"
#include "obs_table.h"
#include "observed.h"
#include "timefmt.h"

#define EXPIRE_BUDGET 100000		/* pairs examined per expiry step */
#define EXPIRE_EVERY_NS (10 * 1000000000ULL)	/* a step at most this often (the first at once) */
#define STOP_WAIT_S 10			/* the last batch at a stop */
#define REOPEN_REMIND_NS (15 * 60 * 1000000000ULL)
#define NEAR_CAP 0.9

enum {
	OC_RECORDED,
	OC_DROPPED,
	OC_BATCHES,
	OC_WRITTEN,
	OC_NEW_PAIRS,
	OC_NEW_IMEIS,
	OC_WRITE_ERRORS,
	OC_MAP_FULL,
	OC_EXPIRED,
	OC_LOOKUP_ERRORS,
	OC_COUNT
};

static const struct rate_ctr_desc obs_ctr_desc[OC_COUNT] = {
	[OC_RECORDED] = { "observed:recorded", "Queries recorded in the observation batch" },
	[OC_DROPPED] = { "observed:dropped", "Queries not recorded: the batch was full (observed-queue) or lost" },
	[OC_BATCHES] = { "observed:batches", "Batches written to the observation store" },
	[OC_WRITTEN] = { "observed:written", "Pairs written (new or merged)" },
	[OC_NEW_PAIRS] = { "observed:new-pairs", "(IMEI, IMSI) pairs seen for the first time" },
	[OC_NEW_IMEIS] = { "observed:new-imeis", "IMEIs seen for the first time" },
	[OC_WRITE_ERRORS] = { "observed:write-errors", "Batches the store refused (their pairs are counted dropped)" },
	[OC_MAP_FULL] = { "observed:map-full", "Batches that found the store at observed-max-size" },
	[OC_EXPIRED] = { "observed:expired", "Pairs expired (observed-retention, observed-max-pairs)" },
	[OC_LOOKUP_ERRORS] = { "observed:lookup-errors", "First-sighting lookups the store could not answer" },
};

static const struct rate_ctr_group_desc obs_ctrg_desc = {
	.group_name_prefix = "eir_observed",
	.group_description = "EIR observation store",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(obs_ctr_desc),
	.ctr_desc = obs_ctr_desc,
};

/* What the writer reports, under the mutex. */
struct wstats {
	uint64_t batches, written, new_pairs, new_imeis, errors, full, expired, lost;
	uint64_t last_us, max_us, last_pairs;
};

static struct {
	bool on;
	void *ctx;
	struct eir_obs_db *db;		/* set by the main thread only */
	bool in_read;			/* the main thread's read txn is open */
	size_t max;			/* observed-queue */
	struct obs_table *fill, *spare, *writing;
	struct osmo_timer_list timer;
	struct rate_ctr_group *ctrs;
	uint64_t remind_at;
	char last_err[512];

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* job handed, job done, stop */
	struct obs_table *job;		/* handed to the writer */
	bool job_done;
	bool stop;
	struct eir_obs_db *wdb;		/* the writer's copy of db */
	unsigned retention_days;	/* copies for the writer */
	uint64_t max_pairs;
	uint64_t stored_pairs;		/* the main thread's last eir_obs_stat */
	struct wstats ws, ws_seen;
	/* The store's figures, read by the main thread (the read transaction
	 * of the handle is the main thread's alone). */
	struct eir_obs_stat st;
	bool st_ok;
} O = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* ------------------------------------------------------------ the writer thread */

static uint64_t mono_us(void)
{
	return eird_now_ns() / 1000;
}

/* A bounded step of the sweep, when one is due: retention counts in days,
 * so a pass over a large store may take hours; the map-full path makes
 * room at once when it must. Writer thread only. */
static void expire_step(struct eir_obs_db *db, unsigned retention_days, uint64_t max_pairs,
			uint64_t budget, uint64_t *expired)
{
	static uint64_t next_ns;
	time_t now = eir_now();
	int64_t cutoff = (int64_t)now - (int64_t)retention_days * 86400;
	uint64_t n = 0;

	if (eird_now_ns() < next_ns)
		return;
	next_ns = eird_now_ns() + EXPIRE_EVERY_NS;
	if (eir_obs_expire(db, cutoff < 0 ? 0 : (uint32_t)cutoff, max_pairs, budget, &n) >= 0)
		*expired += n;
}

static void write_job(struct obs_table *t, struct eir_obs_db *db, unsigned retention_days, uint64_t max_pairs,
		      uint64_t stored_pairs, struct wstats *ws)
{
	struct eir_obs_merge_stats ms = { 0 };
	uint64_t t0 = mono_us(), expired = 0;
	size_t n;
	const struct eir_obs *e = obs_table_entries(t, &n);
	int rc;

	rc = eir_obs_merge(db, e, n, &ms);
	if (rc == -ENOSPC) {
		/* The map is full: make room from the least recently seen
		 * tenth, then try once more. */
		ws->full++;
		if (stored_pairs) {
			uint64_t keep = stored_pairs - stored_pairs / 10;
			for (int i = 0; i < 1000; i++) {
				uint64_t gone = 0;
				int r = eir_obs_expire(db, 0, keep, EXPIRE_BUDGET, &gone);
				expired += gone;
				if (r != 0)
					break;
			}
		}
		memset(&ms, 0, sizeof(ms));
		rc = eir_obs_merge(db, e, n, &ms);
	}
	if (rc) {
		ws->errors++;
		ws->lost += n;
	} else {
		ws->batches++;
		ws->written += n;
		ws->new_pairs += ms.new_pairs;
		ws->new_imeis += ms.new_imeis;
	}
	expire_step(db, retention_days, max_pairs, EXPIRE_BUDGET, &expired);
	ws->expired += expired;
	ws->last_us = mono_us() - t0;
	if (ws->last_us > ws->max_us)
		ws->max_us = ws->last_us;
	ws->last_pairs = n;
}

static void *writer_main(void *arg)
{
	struct timespec until;

	pthread_mutex_lock(&O.mu);
	while (!O.stop || O.job) {
		if (O.job) {
			struct obs_table *t = O.job;
			struct eir_obs_db *db = O.wdb;
			unsigned rd = O.retention_days;
			uint64_t mp = O.max_pairs, sp = O.stored_pairs;
			struct wstats ws = O.ws;

			pthread_mutex_unlock(&O.mu);
			if (db)
				write_job(t, db, rd, mp, sp, &ws);
			else
				ws.lost += obs_table_count(t);
			pthread_mutex_lock(&O.mu);
			O.ws = ws;
			O.job = NULL;
			O.job_done = true;
			pthread_cond_broadcast(&O.cv);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		if (pthread_cond_timedwait(&O.cv, &O.mu, &until) == ETIMEDOUT && O.wdb && !O.job && !O.stop) {
			/* Quiet: expiry goes on without traffic. */
			struct eir_obs_db *db = O.wdb;
			unsigned rd = O.retention_days;
			uint64_t mp = O.max_pairs, expired = 0;

			pthread_mutex_unlock(&O.mu);
			expire_step(db, rd, mp, EXPIRE_BUDGET, &expired);
			pthread_mutex_lock(&O.mu);
			O.ws.expired += expired;
		}
	}
	pthread_mutex_unlock(&O.mu);
	return arg;
}

/* ------------------------------------------------------------ the main thread */

static void store_open(void)
{
	const struct eird_observed_cfg *c = &g_eird->cfg.observed;
	char err[512];
	int rc;

	rc = eir_obs_open(&O.db, c->path, true, (uint64_t)c->max_size_mb << 20, err, sizeof(err));
	if (rc) {
		O.db = NULL;
		if (strcmp(err, O.last_err) || eird_now_ns() >= O.remind_at) {
			LOGP(DOBS, LOGL_ERROR, "observation store %s: %s; nothing is recorded until it opens (grace "
			     "periods count from imported first sightings meanwhile)\n", c->path, err);
			snprintf(O.last_err, sizeof(O.last_err), "%s", err);
			O.remind_at = eird_now_ns() + REOPEN_REMIND_NS;
		}
		return;
	}
	O.last_err[0] = '\0';
	pthread_mutex_lock(&O.mu);
	O.wdb = O.db;
	pthread_mutex_unlock(&O.mu);
	LOGP(DOBS, LOGL_NOTICE, "observation store %s open\n", c->path);
}

void eird_observe_batch_end(void)
{
	if (O.in_read)
		eir_obs_end(O.db);
	O.in_read = false;
}

static void ctr_add(unsigned i, uint64_t n)
{
	if (n)
		rate_ctr_add(rate_ctr_group_get_ctr(O.ctrs, i), (int)n);
}

static void alarms(const struct wstats *ws)
{
	const struct eir_obs_stat *st = &O.st;
	static struct eird_ratelimit cap_rl, err_rl;
	uint64_t max_pairs = g_eird->cfg.observed.max_pairs;

	if (O.st_ok && ((max_pairs && st->pairs >= NEAR_CAP * (double)max_pairs) ||
			(st->map_bytes && st->used_bytes >= NEAR_CAP * (double)st->map_bytes)) &&
	    eird_ratelimit_due(&cap_rl, 15 * 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "observation store near its cap: %llu pairs (observed-max-pairs %llu), "
		     "%llu of %llu bytes used (observed-max-size): the least recently seen pairs are expiring early\n",
		     (unsigned long long)st->pairs, (unsigned long long)max_pairs,
		     (unsigned long long)st->used_bytes, (unsigned long long)st->map_bytes);
	if (ws->errors != O.ws_seen.errors && eird_ratelimit_due(&err_rl, 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "observation store: %llu batches could not be written\n",
		     (unsigned long long)ws->errors);
}

static void schedule(void)
{
	unsigned ms = g_eird->cfg.observed.interval_ms;

	osmo_timer_schedule(&O.timer, ms / 1000, (ms % 1000) * 1000);
}

/* Every interval: recycle the written table, hand over the filled one,
 * take the writer's figures. */
static void timer_cb(void *data)
{
	struct wstats ws;

	if (!O.db)
		store_open();
	/* The next lookup renews the read transaction, so it sees what the
	 * writer committed before the table that held it is recycled. */
	eird_observe_batch_end();
	if (O.db) {
		O.st_ok = eir_obs_stat(O.db, &O.st) == 0;
		eir_obs_end(O.db);
	}
	pthread_mutex_lock(&O.mu);
	O.retention_days = g_eird->cfg.observed.retention_days;
	O.max_pairs = g_eird->cfg.observed.max_pairs;
	O.stored_pairs = O.st_ok ? O.st.pairs : 0;
	if (O.job_done) {
		obs_table_clear(O.writing);
		O.spare = O.writing;
		O.writing = NULL;
		O.job_done = false;
	}
	if (!O.writing && O.spare && obs_table_count(O.fill)) {
		O.writing = O.job = O.fill;
		O.fill = O.spare;
		O.spare = NULL;
		pthread_cond_broadcast(&O.cv);
	}
	ws = O.ws;
	pthread_mutex_unlock(&O.mu);

	ctr_add(OC_BATCHES, ws.batches - O.ws_seen.batches);
	ctr_add(OC_WRITTEN, ws.written - O.ws_seen.written);
	ctr_add(OC_NEW_PAIRS, ws.new_pairs - O.ws_seen.new_pairs);
	ctr_add(OC_NEW_IMEIS, ws.new_imeis - O.ws_seen.new_imeis);
	ctr_add(OC_WRITE_ERRORS, ws.errors - O.ws_seen.errors);
	ctr_add(OC_MAP_FULL, ws.full - O.ws_seen.full);
	ctr_add(OC_EXPIRED, ws.expired - O.ws_seen.expired);
	ctr_add(OC_DROPPED, ws.lost - O.ws_seen.lost);
	alarms(&ws);
	O.ws_seen = ws;
	schedule();
}

int eird_observe_first_seen(void *ctx, uint64_t imei, uint32_t *first)
{
	struct eir_obs_imei oi;
	int rc;

	if (!O.on)
		return -ENOENT;
	if (O.db) {
		if (!O.in_read && eir_obs_begin(O.db) == 0)
			O.in_read = true;
		if (O.in_read) {
			rc = eir_obs_get_imei(O.db, imei, &oi);
			if (rc == 0) {
				*first = oi.first_seen;
				return 0;
			}
			if (rc != -ENOENT)
				ctr_add(OC_LOOKUP_ERRORS, 1);
		}
	}
	if (O.writing && obs_table_first_get(O.writing, imei, first))
		return 0;
	if (obs_table_first_get(O.fill, imei, first))
		return 0;
	return -ENOENT;
}

/* A query the interval's batch has no room for: counted, and said at
 * once (then at most once a minute, with the count since). */
static void dropped(void)
{
	static struct eird_ratelimit rl;
	uint64_t skipped;

	rate_ctr_inc(rate_ctr_group_get_ctr(O.ctrs, OC_DROPPED));
	if (eird_ratelimit_due(&rl, 60 * 1000000000ULL, &skipped))
		LOGP(DOBS, LOGL_ERROR, "observation batch full (observed-queue %zu distinct pairs per interval): "
		     "queries not recorded (%llu more since the last report); raise observed-queue or shorten "
		     "observed-batch-interval\n", O.max, (unsigned long long)skipped);
}

void eird_observe(enum eird_iface iface, const struct eir_query *q, const struct eir_result *res)
{
	struct eir_obs *e;
	uint32_t now;
	bool is_new;

	if (!O.on)
		return;
	now = (uint32_t)eir_now();
	e = obs_table_upsert(O.fill, q->imei.key, q->imsi, &is_new);
	if (!e) {
		dropped();
		return;
	}
	if (is_new)
		e->first_seen = now;
	e->last_seen = now;
	if (e->count < UINT32_MAX)
		e->count++;
	e->verdict = (uint8_t)res->verdict;
	e->would = (uint8_t)res->decided;
	e->branch = (uint8_t)res->branch;
	e->iface = (uint8_t)(EIR_OBS_IF_S13 + iface);
	e->svn = q->imei.svn >= 0 ? (uint8_t)q->imei.svn : 0xff;
	if (q->msisdn)
		e->msisdn = q->msisdn;
	/* A grace period that starts now: later lookups of this interval
	 * find it here. */
	if (res->grace && res->first_sighting)
		obs_table_first_put(O.fill, q->imei.key, now);
	if (g_eird->cfg.counting)
		rate_ctr_inc(rate_ctr_group_get_ctr(O.ctrs, OC_RECORDED));
}

int eird_observe_start(void *ctx)
{
	const struct eird_observed_cfg *c = &g_eird->cfg.observed;
	pthread_condattr_t ca;

	if (!c->path) {
		LOGP(DOBS, LOGL_NOTICE, "no observed-db: queries are not recorded\n");
		return 0;
	}
	O.ctx = ctx;
	O.max = c->queue;
	(void)eir_now();	/* its offset read before the writer thread can ask */
	O.fill = obs_table_new(O.max);
	O.spare = obs_table_new(O.max);
	if (!O.fill || !O.spare) {
		LOGP(DOBS, LOGL_ERROR, "observation tables: out of memory\n");
		return -ENOMEM;
	}
	O.ctrs = rate_ctr_group_alloc(ctx, &obs_ctrg_desc, 0);
	O.retention_days = c->retention_days;
	O.max_pairs = c->max_pairs;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&O.cv, &ca);
	pthread_condattr_destroy(&ca);
	store_open();
	if (pthread_create(&O.thread, NULL, writer_main, NULL)) {
		LOGP(DOBS, LOGL_ERROR, "cannot start the observation writer\n");
		return -EAGAIN;
	}
	pthread_setname_np(O.thread, "eird-observe");	/* for top -H and taskset */
	O.thread_started = true;
	O.on = true;
	osmo_timer_setup(&O.timer, timer_cb, NULL);
	schedule();
	return 0;
}

/* Wait (bounded) until the writer has no job. */
static bool wait_idle(void)
{
	struct timespec until;
	bool ok = true;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += STOP_WAIT_S;
	while (O.job && ok)
		ok = pthread_cond_timedwait(&O.cv, &O.mu, &until) != ETIMEDOUT;
	return !O.job;
}

void eird_observe_stop(void)
{
	uint64_t pending;

	if (!O.on)
		return;
	osmo_timer_del(&O.timer);
	eird_observe_batch_end();
	pending = obs_table_count(O.fill);
	pthread_mutex_lock(&O.mu);
	/* The last interval goes to the store before eird ends. */
	if (wait_idle() && obs_table_count(O.fill)) {
		O.job = O.fill;
		pthread_cond_broadcast(&O.cv);
		wait_idle();
	}
	if (O.job) {
		pthread_mutex_unlock(&O.mu);
		LOGP(DOBS, LOGL_ERROR, "observation store: the last batch (%llu pairs) was not written within %d s\n",
		     (unsigned long long)pending, STOP_WAIT_S);
		/* The thread is left to the process's exit. */
		return;
	}
	O.stop = true;
	pthread_cond_broadcast(&O.cv);
	pthread_mutex_unlock(&O.mu);
	pthread_join(O.thread, NULL);
	O.on = false;
	if (O.db)
		eir_obs_close(O.db);
	O.db = O.wdb = NULL;
	if (O.writing != O.fill)
		obs_table_free(O.writing);
	obs_table_free(O.fill);
	obs_table_free(O.spare);
	O.fill = O.spare = O.writing = NULL;
	LOGP(DOBS, LOGL_NOTICE, "observation store closed (%llu pairs of the last interval written)\n",
	     (unsigned long long)pending);
}

struct rate_ctr_group *eird_observe_counters(void)
{
	return O.on ? O.ctrs : NULL;
}

void eird_observe_state(struct eird_observe_state *st)
{
	struct wstats ws;

	memset(st, 0, sizeof(*st));
	st->on = O.on;
	st->path = g_eird->cfg.observed.path;
	if (!O.on)
		return;
	pthread_mutex_lock(&O.mu);
	ws = O.ws;
	pthread_mutex_unlock(&O.mu);
	st->up = O.db != NULL;
	st->pending = obs_table_count(O.fill);
	st->max_pairs = g_eird->cfg.observed.max_pairs;
	st->last_batch_us = ws.last_us;
	st->max_batch_us = ws.max_us;
	st->last_batch_pairs = ws.last_pairs;
	if (O.st_ok) {
		st->pairs = O.st.pairs;
		st->imeis = O.st.imeis;
		st->used_bytes = O.st.used_bytes;
		st->file_bytes = O.st.file_bytes;
		st->map_bytes = O.st.map_bytes;
		st->oldest_seen = O.st.oldest_seen;
		st->near_cap = (st->max_pairs && st->pairs >= NEAR_CAP * (double)st->max_pairs) ||
			       (st->map_bytes && st->used_bytes >= NEAR_CAP * (double)st->map_bytes);
	}
}
