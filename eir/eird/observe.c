/* What eird was asked, recorded off the answer path (docs/observed.md).
 *
 * The answer path appends one record per query to a ring in memory (one
 * producer, eird's main thread; one consumer, the writer thread): a
 * sequential write of 32 octets, nothing looked up. A full ring drops the
 * record and counts it, never waits. The writer thread drains the ring
 * into its own table (one entry per (IMEI, IMSI): first and last seen,
 * count, last verdict; at most `observed-queue` distinct pairs an
 * interval), and every `observed-batch-interval` merges the table into the
 * LMDB store in one transaction, then runs an expiry step now and then.
 * A crash loses at most what was not committed yet: about one interval.
 *
 * The grace period asks when this node first saw an IMEI: the store
 * answers (a read transaction per loop turn, renewed like the registry's),
 * else the grace periods the main thread started itself since the writer's
 * last commit (kept per interval, each set dropped once the writer has
 * committed past it and the read transaction was renewed), so that no
 * sighting is missed in between. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "eird.h"
#include "notify.h"
#include "obs_table.h"
#include "spool.h"
#include "observed.h"
#include "timefmt.h"

#define EXPIRE_BUDGET 100000		/* pairs examined per expiry step */
#define EXPIRE_EVERY_NS (10 * 1000000000ULL)	/* a step at most this often (the first at once) */
#define IDLE_NS 2000000			/* the writer's nap when the ring is empty */
#define STOP_WAIT_S 10			/* the last batch at a stop */
#define REOPEN_REMIND_NS (15 * 60 * 1000000000ULL)
#define NEAR_CAP 0.9
#define FIRST_GENS 8			/* sets of grace starts awaiting a commit */
#define FS_CACHE_SLOTS (1u << 18)	/* first sightings read from the store: 4 MiB */

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
	OC_NOTIFY_GRACE,
	OC_NOTIFY_REMINDER,
	OC_NOTIFY_CUTOFF,
	OC_NOTIFY_ERRORS,
	OC_NOTIFY_DROPPED,
	OC_COUNT
};

static const struct rate_ctr_desc obs_ctr_desc[OC_COUNT] = {
	[OC_RECORDED] = { "observed:recorded", "Queries recorded for the observation store" },
	[OC_DROPPED] = { "observed:dropped", "Queries not recorded: the queue or the interval's batch was full, or a batch was lost" },
	[OC_BATCHES] = { "observed:batches", "Batches written to the observation store" },
	[OC_WRITTEN] = { "observed:written", "Pairs written (new or merged)" },
	[OC_NEW_PAIRS] = { "observed:new-pairs", "(IMEI, IMSI) pairs seen for the first time" },
	[OC_NEW_IMEIS] = { "observed:new-imeis", "IMEIs seen for the first time" },
	[OC_WRITE_ERRORS] = { "observed:write-errors", "Batches the store refused (their pairs are counted dropped)" },
	[OC_MAP_FULL] = { "observed:map-full", "Batches that found the store at observed-max-size" },
	[OC_EXPIRED] = { "observed:expired", "Pairs expired (observed-retention, observed-max-pairs)" },
	[OC_LOOKUP_ERRORS] = { "observed:lookup-errors", "First-sighting lookups the store could not answer" },
	[OC_NOTIFY_GRACE] = { "notify:grace", "Grace events written to the notify-spool" },
	[OC_NOTIFY_REMINDER] = { "notify:reminder", "Reminder events written to the notify-spool" },
	[OC_NOTIFY_CUTOFF] = { "notify:cut-off", "Cut-off events written to the notify-spool" },
	[OC_NOTIFY_ERRORS] = { "notify:errors", "Spool writes that failed (the events are tried again at the next interval)" },
	[OC_NOTIFY_DROPPED] = { "notify:dropped", "Grace verdicts not considered for an event: the interval's table was full" },
};

static const struct rate_ctr_group_desc obs_ctrg_desc = {
	.group_name_prefix = "eir_observed",
	.group_description = "EIR observation store",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(obs_ctr_desc),
	.ctr_desc = obs_ctr_desc,
};

/* One query as the ring carries it: 32 octets, two to a cache line. */
struct rec {
	uint64_t imei_svn;		/* the IMEI's 14 digits (< 2^47), the SVN in the top octet */
	uint64_t imsi, msisdn;
	uint32_t t;
	uint8_t verdicts;		/* sent | decided << 2 | iface << 4 */
	uint8_t branch;
	uint16_t cutoff_day;		/* a grace verdict for notify: its cut-off day; 0: none */
};
#define REC_IMEI(r) ((r)->imei_svn & ((1ULL << 56) - 1))
#define REC_SVN(r) ((uint8_t)((r)->imei_svn >> 56))
_Static_assert(sizeof(struct rec) == 32, "two records to a cache line");

/* What the writer reports, under the mutex. */
struct wstats {
	uint64_t batches, written, new_pairs, new_imeis, errors, full, expired, lost;
	uint64_t table_full;			/* of lost: the interval's table was full */
	uint64_t last_us, max_us, last_pairs, table;
	struct eird_notify_stats ns;
};

/* Grace periods this node started, recorded by ring position (a grace
 * start is put before its record): a set is dropped once the writer
 * committed everything before its end. */
struct first_gen {
	struct obs_table *t;
	uint64_t end;			/* ring position when it was closed; 0: open */
};

static struct {
	bool on;
	void *ctx;
	char *path;			/* observed-db as at start (the VTY may change the config's) */
	uint64_t map_bytes;
	struct eir_obs_db *db;		/* set by the main thread only */
	bool in_read;			/* the main thread's read txn is open */
	size_t max;			/* observed-queue */
	struct osmo_timer_list timer;
	struct rate_ctr_group *ctrs;
	uint64_t remind_at;
	char last_err[512];
	struct first_gen gens[FIRST_GENS];	/* [0] open, then older */
	unsigned n_gens;
	/* The store's answers to first-sighting lookups, direct-mapped: a
	 * first sighting only ever moves earlier, and the cache is emptied
	 * whenever the writer expires pairs (an IMEI forgotten and seen again
	 * starts a new grace period). */
	struct fs_slot {
		uint64_t key;		/* ~IMEI; 0 = empty */
		uint32_t first;
	} *fs_cache;

	/* The ring: head written by the main thread, tail by the writer;
	 * records are published (head moved) once per loop turn. */
	struct rec *ring;
	uint64_t mask;
	uint64_t next;			/* main thread: the next record's position */
	_Atomic uint64_t head, tail;
	_Atomic uint64_t committed;	/* every record before it is in the store */

	pthread_t thread;
	pthread_mutex_t mu;		/* what follows */
	bool stop;
	bool stopped;			/* the writer has written its last batch */
	struct eir_obs_db *wdb;		/* the writer's copy of db */
	unsigned retention_days;	/* copies for the writer */
	uint64_t max_pairs;
	uint64_t stored_pairs;		/* the main thread's last eir_obs_stat */
	uint32_t stored_oldest;
	unsigned interval_ms;
	int32_t tz[EIRD_IF_COUNT];	/* the interfaces' policy time zones */
	unsigned reminder_days;		/* notify-reminder */
	char *notify_spool, *notify_node;	/* fixed at start; NULL: no events */
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
static void expire_step(struct eir_obs_db *db, unsigned retention_days, uint64_t max_pairs, uint64_t *expired)
{
	static uint64_t next_ns;
	time_t now = eir_now();
	int64_t cutoff = (int64_t)now - (int64_t)retention_days * 86400;
	uint64_t n = 0;

	if (eird_now_ns() < next_ns)
		return;
	next_ns = eird_now_ns() + EXPIRE_EVERY_NS;
	if (eir_obs_expire(db, cutoff < 0 ? 0 : (uint32_t)cutoff, max_pairs, EXPIRE_BUDGET, &n) >= 0)
		*expired += n;
}

/* The writer's copies of what the main thread configures. */
struct wcfg {
	int32_t tz[EIRD_IF_COUNT];
	unsigned reminder_days;
};

/* One query into the interval's table; false when the table is full. A
 * grace verdict becomes a notification candidate too. */
static bool fold(struct obs_table *t, struct eird_notify *nt, const struct wcfg *wc, struct eird_notify_stats *ns,
		 const struct rec *r)
{
	bool is_new;
	uint64_t imei = REC_IMEI(r);
	struct eir_obs *e;

	if (r->cutoff_day && nt) {
		unsigned iface = (r->verdicts >> 4) - EIR_OBS_IF_S13;

		eird_notify_add(nt, imei, r->imsi, r->msisdn, r->t, r->cutoff_day,
				iface < EIRD_IF_COUNT ? wc->tz[iface] : 0, r->branch == EIR_BR_GRACE_EXPIRED,
				r->branch, (uint8_t)(r->verdicts >> 4), wc->reminder_days, ns);
	}
	e = obs_table_upsert(t, imei, r->imsi, &is_new);

	if (!e)
		return false;
	if (is_new)
		e->first_seen = r->t;
	if (r->t < e->first_seen)
		e->first_seen = r->t;
	if (is_new || r->t >= e->last_seen) {
		e->last_seen = r->t;
		e->verdict = r->verdicts & 3, e->would = (r->verdicts >> 2) & 3, e->branch = r->branch;
		e->iface = (uint8_t)(r->verdicts >> 4), e->svn = REC_SVN(r);
	}
	if (r->msisdn)
		e->msisdn = r->msisdn;
	if (e->count < UINT32_MAX)
		e->count++;
	return true;
}

/* Merge the interval's table; true when it is in the store. */
static bool write_table(struct obs_table *t, struct eir_obs_db *db, uint64_t stored_pairs, uint32_t oldest,
			struct wstats *ws)
{
	struct eir_obs_merge_stats ms = { 0 };
	uint64_t t0 = mono_us(), expired = 0;
	size_t n;
	const struct eir_obs *e = obs_table_entries(t, &n);
	int rc;

	if (!n)
		return true;
	rc = eir_obs_merge(db, e, n, &ms);
	if (rc == -ENOSPC) {
		/* The map is full: make room from the least recently seen
		 * (the oldest tenth of the time span, or the tenth of the
		 * pairs the cap's histogram finds), at most ten steps, then
		 * try once more. */
		ws->full++;
		if (stored_pairs) {
			uint64_t keep = stored_pairs - stored_pairs / 10;
			uint32_t now = (uint32_t)eir_now(), cut = 0;

			if (oldest && oldest < now)
				cut = oldest + (now - oldest) / 10;
			for (int i = 0; i < 10; i++) {
				uint64_t gone = 0;
				int r = eir_obs_expire(db, cut, keep, EXPIRE_BUDGET, &gone);
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
	ws->expired += expired;
	ws->last_us = mono_us() - t0;
	if (ws->last_us > ws->max_us)
		ws->max_us = ws->last_us;
	ws->last_pairs = n;
	return rc == 0;
}

/* Drain the ring into t; the records that find t full are lost. */
static uint64_t drain(struct obs_table *t, struct eird_notify *nt, const struct wcfg *wc,
		      struct eird_notify_stats *ns, uint64_t *lost)
{
	uint64_t tail = atomic_load_explicit(&O.tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&O.head, memory_order_acquire);

	for (uint64_t i = tail; i < head; i++)
		if (!fold(t, nt, wc, ns, &O.ring[i & O.mask]))
			(*lost)++;
	atomic_store_explicit(&O.tail, head, memory_order_release);
	return head;
}

static void *writer_main(void *arg)
{
	struct obs_table *t = obs_table_new(O.max);
	struct eird_notify *nt = NULL;
	struct eird_notify_stats ns = { 0 };
	struct wcfg wc = { 0 };
	uint64_t next_commit = eird_now_ns(), lost = 0, upto = 0, interval_lost = 0;
	bool stop = false;

	if (O.notify_spool) {
		nt = eird_notify_new(O.max, O.notify_spool, O.notify_node);
		if (!nt)
			snprintf(ns.last_error, sizeof(ns.last_error), "out of memory: no notification events");
	}
	while (t) {
		struct eir_obs_db *db;
		struct wstats ws;
		uint64_t now, sp, mp, expired = 0;
		unsigned rd, interval;
		uint32_t so;

		pthread_mutex_lock(&O.mu);
		memcpy(wc.tz, O.tz, sizeof(wc.tz));
		wc.reminder_days = O.reminder_days;
		pthread_mutex_unlock(&O.mu);
		upto = drain(t, nt, &wc, &ns, &lost);
		now = eird_now_ns();
		pthread_mutex_lock(&O.mu);
		stop = O.stop;
		db = O.wdb, rd = O.retention_days, mp = O.max_pairs, sp = O.stored_pairs, so = O.stored_oldest;
		interval = O.interval_ms;
		ws = O.ws;
		pthread_mutex_unlock(&O.mu);
		if (stop)
			upto = drain(t, nt, &wc, &ns, &lost);	/* what came in meanwhile */
		interval_lost += lost;
		ws.table_full += lost;
		if (now >= next_commit || stop) {
			bool stored = false;

			if (db) {
				uint64_t expired_before = ws.expired;

				stored = write_table(t, db, sp, so, &ws);
				/* After the pairs: a mark never goes in before
				 * its pair (expiry deletes marks with pairs). */
				eird_notify_flush(nt, db, &ns);
				expire_step(db, rd, mp, &expired);
				if (expired || ws.expired != expired_before)
					eird_notify_forget(nt);
			} else {
				ws.lost += obs_table_count(t);
			}
			ws.expired += expired;
			obs_table_clear(t);
			/* Only a whole interval in the store lets the main thread
			 * forget the grace starts before upto. */
			if (stored && !interval_lost)
				atomic_store_explicit(&O.committed, upto, memory_order_release);
			interval_lost = 0;
			next_commit = now + (uint64_t)interval * 1000000ULL;
		}
		ws.lost += lost;
		lost = 0;
		ws.table = obs_table_count(t);
		ws.ns = ns;
		pthread_mutex_lock(&O.mu);
		O.ws = ws;
		if (stop)
			O.stopped = true;
		pthread_mutex_unlock(&O.mu);
		if (stop)
			break;
		if (atomic_load_explicit(&O.head, memory_order_acquire) == upto) {
			struct timespec nap = { 0, IDLE_NS };
			nanosleep(&nap, NULL);
		}
	}
	obs_table_free(t);
	eird_notify_free(nt);
	return arg;
}

/* ------------------------------------------------------------ the main thread */

static void store_open(void)
{
	char err[512];
	int rc;

	rc = eir_obs_open(&O.db, O.path, true, O.map_bytes, err, sizeof(err));
	if (rc) {
		O.db = NULL;
		if (strcmp(err, O.last_err) || eird_now_ns() >= O.remind_at) {
			LOGP(DOBS, LOGL_ERROR, "observation store %s: %s; nothing is recorded until it opens (grace "
			     "periods count from imported first sightings meanwhile)\n", O.path, err);
			snprintf(O.last_err, sizeof(O.last_err), "%s", err);
			O.remind_at = eird_now_ns() + REOPEN_REMIND_NS;
		}
		return;
	}
	O.last_err[0] = '\0';
	pthread_mutex_lock(&O.mu);
	O.wdb = O.db;
	pthread_mutex_unlock(&O.mu);
	LOGP(DOBS, LOGL_NOTICE, "observation store %s open\n", O.path);
}

/* The loop turn's records to the writer: one release of the head. */
static void publish(void)
{
	if (O.next != atomic_load_explicit(&O.head, memory_order_relaxed))
		atomic_store_explicit(&O.head, O.next, memory_order_release);
}

void eird_observe_batch_end(void)
{
	if (O.in_read)
		eir_obs_end(O.db);
	O.in_read = false;
	if (O.on)
		publish();
}

static void ctr_add(unsigned i, uint64_t n)
{
	if (n)
		rate_ctr_add(rate_ctr_group_get_ctr(O.ctrs, i), (int)n);
}

static void alarms(const struct wstats *ws)
{
	static struct eird_ratelimit cap_rl, err_rl, lost_rl, notify_rl, ndrop_rl;
	const struct eir_obs_stat *st = &O.st;
	uint64_t max_pairs = g_eird->cfg.observed.max_pairs;

	if (O.st_ok && ((max_pairs && st->pairs >= NEAR_CAP * (double)max_pairs) ||
			(st->map_bytes && st->used_bytes >= NEAR_CAP * (double)st->map_bytes)) &&
	    eird_ratelimit_due(&cap_rl, 15 * 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "observation store near its cap: %llu pairs (observed-max-pairs %llu), "
		     "%llu of %llu bytes used (observed-max-size): the least recently seen pairs are expiring early\n",
		     (unsigned long long)st->pairs, (unsigned long long)max_pairs,
		     (unsigned long long)st->used_bytes, (unsigned long long)st->map_bytes);
	if (ws->errors != O.ws_seen.errors && eird_ratelimit_due(&err_rl, 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "observation store %s: %llu batches could not be written (disk, or "
		     "observed-max-size: see observed_map_full); their grace starts are kept in memory\n",
		     O.path, (unsigned long long)ws->errors);
	if (ws->ns.errors != O.ws_seen.ns.errors && eird_ratelimit_due(&notify_rl, 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "notification events not written (%llu times so far): %s; they are tried "
		     "again at the next interval\n", (unsigned long long)ws->ns.errors,
		     ws->ns.last_error[0] ? ws->ns.last_error : "?");
	if (ws->ns.dropped != O.ws_seen.ns.dropped && eird_ratelimit_due(&ndrop_rl, 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "notification table full (observed-queue %zu pairs per interval): %llu grace "
		     "verdicts not considered for an event so far (the pairs' next sightings are)\n", O.max,
		     (unsigned long long)ws->ns.dropped);
	if (ws->table_full != O.ws_seen.table_full && eird_ratelimit_due(&lost_rl, 60 * 1000000000ULL, NULL))
		LOGP(DOBS, LOGL_ERROR, "observation batch full (observed-queue %zu distinct pairs per interval): "
		     "%llu queries not recorded so far; raise observed-queue or shorten observed-batch-interval\n",
		     O.max, (unsigned long long)ws->table_full);
}

/* The writer commits every observed-batch-interval on its own; the main
 * thread looks at least every half second. */
static void schedule(void)
{
	unsigned ms = g_eird->cfg.observed.interval_ms < 500 ? g_eird->cfg.observed.interval_ms : 500;

	osmo_timer_schedule(&O.timer, ms / 1000, (ms % 1000) * 1000);
}

/* A committed set's grace start that the store does not have (its record
 * was dropped, or its batch could not be written) stays in memory, in the
 * open set: it is never forgotten while the store cannot keep it. */
static void keep_unstored(void *ctx, uint64_t imei, uint32_t first)
{
	struct eir_obs_imei oi;

	if (!O.db || eir_obs_get_imei(O.db, imei, &oi) != 0)
		obs_table_first_put(O.gens[0].t, imei, first);
}

/* Close the open set of grace starts at the ring's position and open a
 * new one; drop the sets the writer has committed past. */
static void rotate_gens(uint64_t committed)
{
	unsigned keep = 1;

	for (unsigned i = 1; i < O.n_gens; i++) {
		if (O.gens[i].end <= committed) {
			obs_table_first_foreach(O.gens[i].t, keep_unstored, NULL);
			obs_table_free(O.gens[i].t);
		} else {
			O.gens[keep++] = O.gens[i];
		}
	}
	O.n_gens = keep;
	if (O.db)
		eir_obs_end(O.db);
	if (!obs_table_first_count(O.gens[0].t))
		return;		/* nothing to close */
	if (O.n_gens == FIRST_GENS) {
		/* The writer is behind by more sets than are kept: the open
		 * one joins the newest closed one, whose end moves on. */
		obs_table_first_merge(O.gens[1].t, O.gens[0].t);
		O.gens[1].end = O.next;
		obs_table_clear(O.gens[0].t);
		return;
	}
	struct obs_table *t = obs_table_new(O.max);
	if (!t)
		return;		/* out of memory: the open set goes on filling */
	memmove(&O.gens[1], &O.gens[0], O.n_gens * sizeof(O.gens[0]));
	O.gens[1].end = O.next;
	O.gens[0] = (struct first_gen){ .t = t };
	O.n_gens++;
}

/* The writer's figures, the store's, the grace sets. */
static void timer_cb(void *data)
{
	uint64_t committed = atomic_load_explicit(&O.committed, memory_order_acquire);
	struct wstats ws;

	if (!O.db)
		store_open();
	/* The next lookup renews the read transaction after the commits up
	 * to `committed`: it sees them before their grace sets are dropped. */
	eird_observe_batch_end();
	if (O.db) {
		O.st_ok = eir_obs_stat(O.db, &O.st) == 0;
		eir_obs_end(O.db);
	}
	rotate_gens(committed);
	pthread_mutex_lock(&O.mu);
	O.retention_days = g_eird->cfg.observed.retention_days;
	O.max_pairs = g_eird->cfg.observed.max_pairs;
	O.reminder_days = g_eird->cfg.observed.notify_reminder;
	for (int i = 0; i < EIRD_IF_COUNT; i++)
		O.tz[i] = g_eird->policy[i].tz_offset;
	O.stored_pairs = O.st_ok ? O.st.pairs : 0;
	O.stored_oldest = O.st_ok ? O.st.oldest_seen : 0;
	ws = O.ws;
	pthread_mutex_unlock(&O.mu);

	ctr_add(OC_BATCHES, ws.batches - O.ws_seen.batches);
	ctr_add(OC_WRITTEN, ws.written - O.ws_seen.written);
	ctr_add(OC_NEW_PAIRS, ws.new_pairs - O.ws_seen.new_pairs);
	ctr_add(OC_NEW_IMEIS, ws.new_imeis - O.ws_seen.new_imeis);
	ctr_add(OC_WRITE_ERRORS, ws.errors - O.ws_seen.errors);
	ctr_add(OC_MAP_FULL, ws.full - O.ws_seen.full);
	ctr_add(OC_EXPIRED, ws.expired - O.ws_seen.expired);
	if (ws.expired != O.ws_seen.expired)
		memset(O.fs_cache, 0, FS_CACHE_SLOTS * sizeof(*O.fs_cache));
	ctr_add(OC_DROPPED, ws.lost - O.ws_seen.lost);
	ctr_add(OC_NOTIFY_GRACE, ws.ns.events[NOTIFY_GRACE] - O.ws_seen.ns.events[NOTIFY_GRACE]);
	ctr_add(OC_NOTIFY_REMINDER, ws.ns.events[NOTIFY_REMINDER] - O.ws_seen.ns.events[NOTIFY_REMINDER]);
	ctr_add(OC_NOTIFY_CUTOFF, ws.ns.events[NOTIFY_CUTOFF] - O.ws_seen.ns.events[NOTIFY_CUTOFF]);
	ctr_add(OC_NOTIFY_ERRORS, ws.ns.errors - O.ws_seen.ns.errors);
	ctr_add(OC_NOTIFY_DROPPED, ws.ns.dropped - O.ws_seen.ns.dropped);
	alarms(&ws);
	O.ws_seen = ws;
	schedule();
}

static inline struct fs_slot *fs_slot_of(uint64_t imei)
{
	uint64_t h = imei * 0x9e3779b97f4a7c15ULL;

	return &O.fs_cache[(h >> 40) & (FS_CACHE_SLOTS - 1)];
}

int eird_observe_first_seen(void *ctx, uint64_t imei, uint32_t *first)
{
	struct fs_slot *slot;
	struct eir_obs_imei oi;
	int rc;

	if (!O.on)
		return -ENOENT;
	slot = fs_slot_of(imei);
	if (slot->key == ~imei) {
		*first = slot->first;
		return 0;
	}
	if (O.db) {
		if (!O.in_read) {
			if (eir_obs_begin(O.db) == 0)
				O.in_read = true;
			else
				ctr_add(OC_LOOKUP_ERRORS, 1);
		}
		if (O.in_read) {
			rc = eir_obs_get_imei(O.db, imei, &oi);
			if (rc == 0) {
				*first = oi.first_seen;
				*slot = (struct fs_slot){ .key = ~imei, .first = oi.first_seen };
				return 0;
			}
			if (rc != -ENOENT)
				ctr_add(OC_LOOKUP_ERRORS, 1);
		}
	}
	/* Oldest first: an older set holds the earlier start. */
	for (unsigned i = O.n_gens; i-- > 0;)
		if (obs_table_first_get(O.gens[i].t, imei, first))
			return 0;
	return -ENOENT;
}

/* A query the queue has no room for: counted, and said at once (then at
 * most once a minute, with the count since). */
static void dropped(void)
{
	static struct eird_ratelimit rl;
	uint64_t skipped;

	rate_ctr_inc(rate_ctr_group_get_ctr(O.ctrs, OC_DROPPED));
	if (eird_ratelimit_due(&rl, 60 * 1000000000ULL, &skipped))
		LOGP(DOBS, LOGL_ERROR, "observation queue full (observed-queue %zu queries): queries not recorded "
		     "(%llu more since the last report); the writer is behind: raise observed-queue, look at the "
		     "disk (observed_last_batch_us)\n", O.max, (unsigned long long)skipped);
}

void eird_observe(enum eird_iface iface, const struct eir_query *q, const struct eir_result *res)
{
	uint64_t tail;
	struct rec r;
	uint32_t now;

	if (!O.on)
		return;
	now = (uint32_t)eir_now();
	/* A grace period that starts now: later lookups find it here until
	 * the store has it. */
	if (res->grace && res->first_sighting)
		obs_table_first_put(O.gens[0].t, q->imei.key, now);
	tail = atomic_load_explicit(&O.tail, memory_order_acquire);
	if (O.next - tail > O.mask) {
		dropped();
		return;
	}
	r = (struct rec){
		.imei_svn = q->imei.key | (uint64_t)(q->imei.svn >= 0 ? (uint8_t)q->imei.svn : 0xff) << 56,
		.imsi = q->imsi, .msisdn = q->msisdn, .t = now,
		.verdicts = (uint8_t)((res->verdict & 3) | (res->decided & 3) << 2 | (EIR_OBS_IF_S13 + iface) << 4),
		.branch = (uint8_t)res->branch,
	};
	/* A grace verdict sent as it was decided (monitor mode warns no one):
	 * its cut-off day in the interface's time zone, for the events. */
	if (res->grace && !res->monitored && O.notify_spool && res->grace_end) {
		int64_t day = ((int64_t)res->grace_end + g_eird->policy[iface].tz_offset) / 86400;

		if (day > 0 && day <= UINT16_MAX)
			r.cutoff_day = (uint16_t)day;
	}
	O.ring[O.next & O.mask] = r;
	O.next++;
	if (g_eird->cfg.counting)
		rate_ctr_inc(rate_ctr_group_get_ctr(O.ctrs, OC_RECORDED));
}

int eird_observe_start(void *ctx)
{
	const struct eird_observed_cfg *c = &g_eird->cfg.observed;
	uint64_t cap = 1024;

	if (!c->path) {
		LOGP(DOBS, LOGL_NOTICE, "no observed-db: queries are not recorded\n");
		return 0;
	}
	O.ctx = ctx;
	O.max = c->queue;
	O.path = talloc_strdup(ctx, c->path);
	O.map_bytes = (uint64_t)c->max_size_mb << 20;
	(void)eir_now();	/* its offset read before the writer thread can ask */
	while (cap < c->queue)
		cap <<= 1;
	O.ring = aligned_alloc(64, cap * sizeof(*O.ring));
	O.mask = cap - 1;
	O.gens[0] = (struct first_gen){ .t = obs_table_new(O.max) };
	O.n_gens = 1;
	O.fs_cache = calloc(FS_CACHE_SLOTS, sizeof(*O.fs_cache));
	if (!O.ring || !O.gens[0].t || !O.fs_cache) {
		LOGP(DOBS, LOGL_ERROR, "observation queue of %zu queries: out of memory\n", O.max);
		return -ENOMEM;
	}
	O.ctrs = rate_ctr_group_alloc(ctx, &obs_ctrg_desc, 0);
	O.retention_days = c->retention_days;
	O.max_pairs = c->max_pairs;
	O.interval_ms = c->interval_ms;
	O.reminder_days = c->notify_reminder;
	for (int i = 0; i < EIRD_IF_COUNT; i++)
		O.tz[i] = g_eird->policy[i].tz_offset;
	if (c->notify_spool) {
		char host[64] = "";

		O.notify_spool = talloc_strdup(ctx, c->notify_spool);
		if (c->notify_node) {
			O.notify_node = talloc_strdup(ctx, c->notify_node);
		} else {
			/* The host name, made fit for a file name. */
			gethostname(host, sizeof(host) - 1);
			for (char *p = host; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				      *p == '-' || *p == '_'))
					*p = '-';
			O.notify_node = talloc_strdup(ctx, host[0] ? host : "eird");
		}
		LOGP(DOBS, LOGL_NOTICE, "notification events go to %s (node %s, reminder %u days before the cut-off)\n",
		     O.notify_spool, O.notify_node, c->notify_reminder);
	}
	store_open();
	if (pthread_create(&O.thread, NULL, writer_main, NULL)) {
		LOGP(DOBS, LOGL_ERROR, "cannot start the observation writer\n");
		return -EAGAIN;
	}
	pthread_setname_np(O.thread, "eird-observe");	/* for top -H and taskset */
	O.on = true;
	osmo_timer_setup(&O.timer, timer_cb, NULL);
	schedule();
	return 0;
}

void eird_observe_stop(void)
{
	uint64_t pending, waited_ms = 0;
	bool stopped = false;

	if (!O.on)
		return;
	osmo_timer_del(&O.timer);
	eird_observe_batch_end();
	publish();
	pending = atomic_load(&O.head) - atomic_load(&O.committed);
	pthread_mutex_lock(&O.mu);
	O.stop = true;
	pthread_mutex_unlock(&O.mu);
	/* The last records go to the store before eird ends. */
	while (!stopped && waited_ms < STOP_WAIT_S * 1000) {
		struct timespec nap = { 0, 10000000 };
		nanosleep(&nap, NULL);
		waited_ms += 10;
		pthread_mutex_lock(&O.mu);
		stopped = O.stopped;
		pthread_mutex_unlock(&O.mu);
	}
	if (!stopped) {
		LOGP(DOBS, LOGL_ERROR, "observation store: the last %llu queries were not written within %d s\n",
		     (unsigned long long)pending, STOP_WAIT_S);
		return;	/* the thread is left to the process's exit */
	}
	pthread_join(O.thread, NULL);
	O.on = false;
	if (O.db)
		eir_obs_close(O.db);
	O.db = O.wdb = NULL;
	for (unsigned i = 0; i < O.n_gens; i++)
		obs_table_free(O.gens[i].t);
	O.n_gens = 0;
	free(O.ring);
	O.ring = NULL;
	free(O.fs_cache);
	O.fs_cache = NULL;
	LOGP(DOBS, LOGL_NOTICE, "observation store closed (%llu queries of the last interval written)\n",
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
	st->path = O.path ? O.path : g_eird->cfg.observed.path;
	if (!O.on)
		return;
	pthread_mutex_lock(&O.mu);
	ws = O.ws;
	pthread_mutex_unlock(&O.mu);
	st->up = O.db != NULL;
	st->pending = atomic_load(&O.head) - atomic_load(&O.tail) + ws.table;
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
