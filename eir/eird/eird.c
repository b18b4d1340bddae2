/* eird's shared state: the front ends, the verdict path with its batches,
 * a counter per policy branch, and the health timer that keeps the
 * database open. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "config.h"
#include "eird.h"
#include "store.h"
#include "timefmt.h"

#define HEALTH_MS 1000
#define STORE_REMIND_NS (15 * 60 * 1000000000ULL)

/* Adding a front end: its file, and one line here. */
const struct eird_frontend *const eird_frontends[] = {
	&eird_fe_s13,
#ifdef HAVE_MAP
	&eird_fe_map,
#endif
#ifdef HAVE_N5G
	&eird_fe_n5g,
#endif
	NULL,
};

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
	[EIR_BR_GRACE_EXPIRED] = { "policy:grace-expired", "Unknown or registered IMEIs past their grace period" },
};

static const struct rate_ctr_group_desc branch_ctrg_desc = {
	.group_name_prefix = "eir",
	.group_description = "EIR policy branches",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(branch_ctr_desc),
	.ctr_desc = branch_ctr_desc,
};
osmo_static_assert(ARRAY_SIZE(branch_ctr_desc) == EIR_BRANCH_COUNT, branch_ctr_desc_matches_enum);

/* The verdict mix (docs/stats.md): what went on the wire, what the
 * policy decided (they differ in monitor mode), the grace period, and per
 * branch the answers monitor mode sent WHITELISTED instead. Built at start
 * from the branch names. */
enum {
	VC_SENT = 0,				/* + verdict */
	VC_DECIDED = VC_SENT + EIR_VERDICT_COUNT,
	VC_GRACE_IN = VC_DECIDED + EIR_VERDICT_COUNT,
	VC_GRACE_EXPIRED,
	VC_GRACE_FIRST,
	VC_WOULD = VC_GRACE_FIRST + 1,		/* + verdict * EIR_BRANCH_COUNT + branch */
	VC_COUNT = VC_WOULD + 3 * EIR_BRANCH_COUNT,
};

/* Monitor mode turns blacklisted, greylisted and unknown into whitelisted. */
static const char *const would_names[3] = { "would-blacklist", "would-greylist", "would-unknown" };

static unsigned would_index(enum eir_verdict v)
{
	return v == EIR_BLACKLISTED ? 0 : v == EIR_GREYLISTED ? 1 : 2;
}

static bool in_batch;
static uint64_t last_reopens;
static struct osmo_timer_list health_timer;

uint64_t eird_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool eird_ratelimit_due(struct eird_ratelimit *rl, uint64_t interval_ns, uint64_t *skipped)
{
	uint64_t now = eird_now_ns();

	if (now < rl->next_ns) {
		rl->skipped++;
		return false;
	}
	if (skipped)
		*skipped = rl->skipped;
	rl->skipped = 0;
	rl->next_ns = now + interval_ns;
	return true;
}

/* A new generation (a full import) went into service: say which, once. */
static void note_generation(void)
{
	struct eir_meta m;

	if (eir_store_get_meta(g_eird->store, &m) == 0)
		LOGP(DDB, LOGL_NOTICE, "database: generation %s in service, snapshot seq %llu (%s, %s)\n",
		     eir_store_path(g_eird->store), (unsigned long long)m.seq, m.kind, m.source);
}

/* Open the database if it is not open. The alarm says once what is wrong
 * and what to do, then reminds every 15 minutes (or when the reason
 * changes), so that a fresh install waiting for its first import does not
 * fill the log. */
static void store_open(void)
{
	static char last_err[512];
	static uint64_t remind_at;
	char err[512];
	int rc;

	rc = eir_store_open(&g_eird->store, g_eird->cfg.db_path, err, sizeof(err));
	if (rc) {
		g_eird->store = NULL;
		if (strcmp(err, last_err)) {
			LOGP(DDB, LOGL_ERROR, "cannot open the database: %s; answering with policy failure (%s) "
			     "until it can be read%s\n", err, eir_verdict_name(g_eird->cfg.policy.failure),
			     rc == -ENOENT ? "; create it with eir-sync (import or pull), eird picks it up by itself" : "");
			snprintf(last_err, sizeof(last_err), "%s", err);
			remind_at = eird_now_ns() + STORE_REMIND_NS;
		} else if (eird_now_ns() >= remind_at) {
			LOGP(DDB, LOGL_ERROR, "still no database: %s\n", err);
			remind_at = eird_now_ns() + STORE_REMIND_NS;
		}
		return;
	}
	last_err[0] = '\0';
	last_reopens = 0;
	LOGP(DDB, LOGL_NOTICE, "database %s open (%s)\n", g_eird->cfg.db_path, eir_store_path(g_eird->store));
}

/* Open (the batch), noting a new generation once. */
static bool batch_begin(void)
{
	if (in_batch)
		return true;
	if (!g_eird->store || eir_store_begin(g_eird->store))
		return false;
	in_batch = true;
	if (eir_store_reopen_count(g_eird->store) != last_reopens) {
		last_reopens = eir_store_reopen_count(g_eird->store);
		note_generation();
	}
	return true;
}

/* Once a second: the database opened when it appears, and a new generation
 * picked up (the old one's pages released) even while no query comes. */
static void health_cb(void *data)
{
	if (!g_eird->store)
		store_open();
	if (!in_batch && batch_begin())
		eird_batch_end();
	osmo_timer_schedule(&health_timer, HEALTH_MS / 1000, (HEALTH_MS % 1000) * 1000);
}

void eird_health_start(void)
{
	osmo_timer_setup(&health_timer, health_cb, NULL);
	health_cb(NULL);
}

void eird_health_stop(void)
{
	osmo_timer_del(&health_timer);
	eird_batch_end();
	if (g_eird->store)
		eir_store_close(g_eird->store);
	g_eird->store = NULL;
}

bool eird_meta(struct eir_meta *m, uint64_t *reopens)
{
	bool own = !in_batch, ok;

	/* Inside a front end's batch the same snapshot answers; outside,
	 * a batch of its own, so nobody's transaction is ended behind it. */
	if (!batch_begin())
		return false;
	ok = eir_store_get_meta(g_eird->store, m) == 0;
	*reopens = eir_store_reopen_count(g_eird->store);
	if (own)
		eird_batch_end();
	return ok;
}

/* The failure branch is an alarm, but at hundreds of thousands of answers
 * a second it is logged at most once a second, with the count since. */
static void failure_alarm(int err)
{
	static struct eird_ratelimit rl;
	uint64_t skipped;

	if (eird_ratelimit_due(&rl, 1000000000ULL, &skipped))
		LOGP(DDB, LOGL_ERROR, "store failure: %s; answering with policy failure (%llu more since the last report)\n",
		     strerror(-err), (unsigned long long)skipped);
}

void eird_counters_init(void)
{
	struct rate_ctr_desc *d = talloc_zero_array(g_eird->ctx, struct rate_ctr_desc, VC_COUNT);
	struct rate_ctr_group_desc *gd = talloc_zero(g_eird->ctx, struct rate_ctr_group_desc);
	void *ctx = g_eird->ctx;

	g_eird->branches = rate_ctr_group_alloc(g_eird->ctx, &branch_ctrg_desc, 0);
	for (int v = 0; v < EIR_VERDICT_COUNT; v++) {
		d[VC_SENT + v] = (struct rate_ctr_desc){
			talloc_asprintf(ctx, "verdict:sent:%s", eir_verdict_name(v)),
			talloc_asprintf(ctx, "Answers sent %s (every interface)", eir_verdict_name(v)) };
		d[VC_DECIDED + v] = (struct rate_ctr_desc){
			talloc_asprintf(ctx, "verdict:decided:%s", eir_verdict_name(v)),
			talloc_asprintf(ctx, "Queries the policy decided %s (what enforce mode sends)",
					eir_verdict_name(v)) };
	}
	d[VC_GRACE_IN] = (struct rate_ctr_desc){ "grace:in-grace", "Answers greylisted within a grace period" };
	d[VC_GRACE_EXPIRED] = (struct rate_ctr_desc){ "grace:expired", "Answers for IMEIs past their grace period" };
	d[VC_GRACE_FIRST] = (struct rate_ctr_desc){ "grace:first-sightings",
						    "Grace periods started: IMEIs nobody had seen before" };
	for (unsigned w = 0; w < 3; w++)
		for (int b = 0; b < EIR_BRANCH_COUNT; b++)
			d[VC_WOULD + w * EIR_BRANCH_COUNT + b] = (struct rate_ctr_desc){
				talloc_asprintf(ctx, "monitor:%s:%s", would_names[w], eir_branch_name(b)),
				talloc_asprintf(ctx, "Sent whitelisted in monitor mode, enforce would send %s (branch %s)",
						w == 0 ? "blacklisted" : w == 1 ? "greylisted" : "unknown",
						eir_branch_name(b)) };
	/* The descriptor's fields are const: built on the stack, copied. */
	const struct rate_ctr_group_desc tmpl = {
		.group_name_prefix = "eir_verdicts", .group_description = "EIR verdict mix, grace and monitor mode",
		.class_id = OSMO_STATS_CLASS_GLOBAL, .num_ctr = VC_COUNT, .ctr_desc = d,
	};
	memcpy(gd, &tmpl, sizeof(tmpl));
	g_eird->verdicts = rate_ctr_group_alloc(g_eird->ctx, gd, 0);
}

const char *eird_iface_name(enum eird_iface iface)
{
	static const char *const names[EIRD_IF_COUNT] = {
		[EIRD_IF_S13] = "s13", [EIRD_IF_MAP] = "map", [EIRD_IF_N5G] = "n5g" };

	return (unsigned)iface < EIRD_IF_COUNT ? names[iface] : "?";
}

void eird_policy_apply(void)
{
	for (int i = 0; i < EIRD_IF_COUNT; i++) {
		const struct eird_iface_policy *ip = &g_eird->cfg.iface[i];
		struct eir_policy *p = &g_eird->policy[i];

		*p = g_eird->cfg.policy;
		if (ip->mode >= 0)
			p->mode = (enum eir_mode)ip->mode;
		if (ip->unknown_imei >= 0) {
			p->unknown_imei = (enum eir_verdict)ip->unknown_imei;
			p->unknown_grace = ip->unknown_grace;
		}
	}
}

static void vctr(unsigned i)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(g_eird->verdicts, i));
}

/* Every answer's counters: its branch, the sent and decided mix, grace,
 * and what monitor mode changed. */
static void count_result(const struct eir_result *res)
{
	if (!g_eird->cfg.counting)
		return;
	rate_ctr_inc(rate_ctr_group_get_ctr(g_eird->branches, res->branch));
	vctr(VC_SENT + res->verdict);
	vctr(VC_DECIDED + res->decided);
	if (res->grace) {
		vctr(res->branch == EIR_BR_GRACE_EXPIRED ? VC_GRACE_EXPIRED : VC_GRACE_IN);
		if (res->first_sighting)
			vctr(VC_GRACE_FIRST);
	}
	if (res->monitored)
		vctr(VC_WOULD + would_index(res->decided) * EIR_BRANCH_COUNT + res->branch);
}

void eird_check(enum eird_iface iface, const struct eir_query *q0, struct eir_result *res)
{
	const struct eir_policy *pol = &g_eird->policy[iface];
	struct eir_query qq = *q0, *q = &qq;

	q->first_seen = eird_observe_first_seen;
	if (batch_begin()) {
		eir_check(g_eird->store, pol, q, eir_now(), res);
	} else {
		memset(res, 0, sizeof(*res));
		res->verdict = pol->failure;
		res->branch = EIR_BR_FAILURE;
		res->store_err = -ENOENT;
		/* Invalid IMEIs are still invalid without a database. */
		if (q->imei_err) {
			res->verdict = pol->invalid_imei;
			res->branch = EIR_BR_INVALID;
			res->imei_err = q->imei_err;
		}
		eir_policy_apply_mode(pol, res);
	}
	count_result(res);
	/* Without a database the health timer's alarm has said it. */
	if (res->branch == EIR_BR_FAILURE && g_eird->store)
		failure_alarm(res->store_err);
	if (!q->imei_err)
		eird_observe(iface, q, res);
}

void eird_check_not_equipment(enum eird_iface iface, struct eir_result *res)
{
	const struct eir_policy *pol = &g_eird->policy[iface];

	*res = (struct eir_result){ .verdict = pol->unknown_imei, .branch = EIR_BR_UNKNOWN };
	eir_policy_apply_mode(pol, res);
	count_result(res);
}

void eird_batch_end(void)
{
	if (in_batch)
		eir_store_end(g_eird->store);
	in_batch = false;
	eird_observe_batch_end();
}
