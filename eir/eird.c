/* eird's verdict path: the store opened (and reopened) lazily, the policy,
 * and a counter per policy branch. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/utils.h>
#include <osmocom/core/stats.h>

#include "eird.h"
#include "store.h"

#define STORE_RETRY_MS 1000
#define STORE_REMIND_MS (15 * 60 * 1000)

static const struct rate_ctr_desc branch_ctr_desc[EIR_BRANCH_COUNT] = {
	[EIR_BR_INVALID] = { "policy:invalid", "Invalid IMEIs (policy invalid-imei)" },
	[EIR_BR_EXEMPT] = { "policy:exempt", "Exempt records" },
	[EIR_BR_PAIRED] = { "policy:paired-exception", "IMSI paired with the IMEI" },
	[EIR_BR_PAIR_MISMATCH] = { "policy:pair-mismatch", "Locked records used with another IMSI" },
	[EIR_BR_ACTIVE] = { "policy:active", "Active records" },
	[EIR_BR_REGISTERED] = { "policy:registered", "Registered, not activated (policy registered)" },
	[EIR_BR_TRAVELLER] = { "policy:traveller", "Travellers within their validity" },
	[EIR_BR_EXPIRED] = { "policy:expired", "Travellers past their validity (policy expired)" },
	[EIR_BR_BLOCKED] = { "policy:blocked", "Blocked records" },
	[EIR_BR_TRACKED] = { "policy:tracked", "Tracked records" },
	[EIR_BR_RANGE] = { "policy:range", "Decided by a range or TAC rule" },
	[EIR_BR_UNKNOWN] = { "policy:unknown", "Unknown IMEIs (policy unknown-imei)" },
	[EIR_BR_FAILURE] = { "policy:failure", "Store failures (policy failure)" },
};

static const struct rate_ctr_group_desc branch_ctrg_desc = {
	.group_name_prefix = "eir",
	.group_description = "EIR policy branches",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(branch_ctr_desc),
	.ctr_desc = branch_ctr_desc,
};
osmo_static_assert(ARRAY_SIZE(branch_ctr_desc) == EIR_BRANCH_COUNT, branch_ctr_desc_matches_enum);

static bool in_batch;
static uint64_t last_reopens;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Open the database if it is not open. Retried every second; the alarm
 * says once what is wrong and what to do, then reminds every few minutes
 * (or when the reason changes), so that a fresh install waiting for its
 * first import does not fill the log. */
void eird_store_ensure(void)
{
	static char last_err[512];
	static uint64_t remind_at;
	char err[512];
	int rc;

	if (g_eird->store || now_ms() < g_eird->store_retry_at)
		return;
	rc = eir_store_open(&g_eird->store, g_eird->db_path, err, sizeof(err));
	if (rc) {
		g_eird->store = NULL;
		g_eird->store_retry_at = now_ms() + STORE_RETRY_MS;
		if (strcmp(err, last_err)) {
			LOGP(DDB, LOGL_ERROR, "cannot open the database: %s; answering with policy failure (%s) "
			     "until it can be read%s\n", err, eir_verdict_name(g_eird->policy.failure),
			     rc == -ENOENT ? "; create it with eir-sync (import or pull), eird picks it up by itself" : "");
			snprintf(last_err, sizeof(last_err), "%s", err);
			remind_at = now_ms() + STORE_REMIND_MS;
		} else if (now_ms() >= remind_at) {
			LOGP(DDB, LOGL_ERROR, "still no database: %s\n", err);
			remind_at = now_ms() + STORE_REMIND_MS;
		}
		return;
	}
	last_err[0] = '\0';
	LOGP(DDB, LOGL_NOTICE, "database %s open (%s)\n", g_eird->db_path, eir_store_path(g_eird->store));
}

/* A new generation (a full import) went into service: say which, once. */
static void note_generation(void)
{
	struct eir_meta m;

	if (eir_store_get_meta(g_eird->store, &m) == 0)
		LOGP(DDB, LOGL_NOTICE, "database: generation %s in service, snapshot seq %llu (%s, %s)\n",
		     eir_store_path(g_eird->store), (unsigned long long)m.seq, m.kind, m.source);
}

/* The failure branch is an alarm, but at hundreds of thousands of answers
 * a second it is logged at most once a second, with the count since. */
static void failure_alarm(int err)
{
	static uint64_t next_ms, suppressed;

	if (now_ms() < next_ms) {
		suppressed++;
		return;
	}
	LOGP(DDB, LOGL_ERROR, "store failure: %s; answering with policy failure (%llu more since the last report)\n",
	     strerror(-err), (unsigned long long)suppressed);
	suppressed = 0;
	next_ms = now_ms() + 1000;
}

void eird_counters_init(void)
{
	g_eird->branches = rate_ctr_group_alloc(g_eird->ctx, &branch_ctrg_desc, 0);
}

void eird_check(const struct eir_query *q, struct eir_result *res)
{
	if (!in_batch) {
		eird_store_ensure();
		if (g_eird->store && eir_store_begin(g_eird->store) == 0) {
			in_batch = true;
			if (eir_store_reopen_count(g_eird->store) != last_reopens) {
				last_reopens = eir_store_reopen_count(g_eird->store);
				note_generation();
			}
		}
	}
	if (in_batch) {
		eir_check(g_eird->store, &g_eird->policy, q, time(NULL), res);
	} else {
		memset(res, 0, sizeof(*res));
		res->verdict = g_eird->policy.failure;
		res->branch = EIR_BR_FAILURE;
		res->store_err = -ENOENT;
		/* Invalid IMEIs are still invalid without a database. */
		if (q->imei_err) {
			res->verdict = g_eird->policy.invalid_imei;
			res->branch = EIR_BR_INVALID;
			res->imei_err = q->imei_err;
		}
	}
	if (g_eird->counting)
		rate_ctr_inc(rate_ctr_group_get_ctr(g_eird->branches, res->branch));
	if (res->branch == EIR_BR_FAILURE)
		failure_alarm(res->store_err);
}

void eird_batch_end(void)
{
	if (in_batch)
		eir_store_end(g_eird->store);
	in_batch = false;
}

int eird_reload_policy(void)
{
	struct eir_policy p;
	char err[512];
	/* Exactly what a restart would apply: the defaults, then the file. */
	int rc = eir_policy_load_cfg(g_eird->config_file, &p, err, sizeof(err));

	if (rc) {
		LOGP(DPOLICY, LOGL_ERROR, "policy not reloaded: %s\n", err);
		return rc;
	}
	g_eird->policy = p;
	LOGP(DPOLICY, LOGL_NOTICE, "policy reloaded from %s\n", g_eird->config_file);
	return 0;
}
