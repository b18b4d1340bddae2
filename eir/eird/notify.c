/* Notification events for the warning SMS, the writer thread's side
 * (notify.h, docs/notify.md).
 *
 * Each record of a grace verdict that the writer drains becomes a
 * candidate: grace (a reminder too once inside notify-reminder days of the
 * cut-off), or cut-off when the grace had ended. Candidates are kept per
 * (IMEI, IMSI) for the interval. At the commit they are claimed against
 * the marks in the observation store in one transaction: the kinds not
 * marked for that cut-off day are written to the spool as one file
 * (fsync'd, renamed) and only then do the marks commit. A crash between
 * the two writes an event again at the next sighting, which eir-notify
 * drops as a duplicate; the other order could lose it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eird.h"
#include "notify.h"
#include "policy.h"
#include "record.h"
#include "spool.h"

#define BIT(k) (1u << (k))
#define WRITTEN_SLOTS (1u << 16)	/* pairs known to be written: 1.5 MiB */

struct cand {
	uint64_t imei, imsi, msisdn;	/* imei 0: empty slot */
	uint32_t t;
	int32_t tz;
	uint16_t day;
	uint8_t want, branch, iface;
};

struct written {
	uint64_t imei, imsi;
	uint16_t day;
	uint8_t done;
};

struct eird_notify {
	char *spool, *node;
	struct cand *slots;
	size_t cap, n, max;		/* cap: a power of two, n <= max <= cap / 2 */
	struct written *written;
	struct eir_obs_claim *claims;
	struct notify_event *events;
	size_t claims_cap;
};

static uint64_t hash(uint64_t imei, uint64_t imsi)
{
	uint64_t h = (imei ^ (imsi * 0xff51afd7ed558ccdULL)) * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 29);
}

struct eird_notify *eird_notify_new(size_t max, const char *spool, const char *node)
{
	struct eird_notify *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->max = max;
	n->cap = 1024;
	n->spool = strdup(spool);
	n->node = strdup(node);
	n->slots = calloc(n->cap, sizeof(*n->slots));
	n->written = calloc(WRITTEN_SLOTS, sizeof(*n->written));
	if (!n->spool || !n->node || !n->slots || !n->written) {
		eird_notify_free(n);
		return NULL;
	}
	return n;
}

void eird_notify_free(struct eird_notify *n)
{
	if (!n)
		return;
	free(n->spool);
	free(n->node);
	free(n->slots);
	free(n->written);
	free(n->claims);
	free(n->events);
	free(n);
}

size_t eird_notify_pending(const struct eird_notify *n)
{
	return n ? n->n : 0;
}

void eird_notify_forget(struct eird_notify *n)
{
	if (n)
		memset(n->written, 0, WRITTEN_SLOTS * sizeof(*n->written));
}

static struct written *written_slot(struct eird_notify *n, uint64_t imei, uint64_t imsi)
{
	return &n->written[hash(imei, imsi) >> 48];
}

static struct cand *find(struct cand *slots, size_t cap, uint64_t imei, uint64_t imsi)
{
	size_t i = (size_t)hash(imei, imsi) & (cap - 1);

	while (slots[i].imei && (slots[i].imei != imei || slots[i].imsi != imsi))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static bool grow(struct eird_notify *n)
{
	size_t cap = n->cap * 2;
	struct cand *s = calloc(cap, sizeof(*s));

	if (!s)
		return false;
	for (size_t i = 0; i < n->cap; i++)
		if (n->slots[i].imei)
			*find(s, cap, n->slots[i].imei, n->slots[i].imsi) = n->slots[i];
	free(n->slots);
	n->slots = s;
	n->cap = cap;
	return true;
}

/* The day of t in the zone tz (seconds east of UTC). */
static int64_t local_day(uint32_t t, int32_t tz)
{
	int64_t s = (int64_t)t + tz;

	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

void eird_notify_add(struct eird_notify *n, uint64_t imei, uint64_t imsi, uint64_t msisdn, uint32_t t,
		     uint16_t cutoff_day, int32_t tz, bool expired, uint8_t branch, uint8_t iface,
		     unsigned reminder_days, struct eird_notify_stats *st)
{
	uint8_t want;
	struct written *w;
	struct cand *c;

	if (!n || !cutoff_day)
		return;
	/* IMEI 0 (00000000000000) marks an empty slot; it never gets here
	 * with a grace verdict (not a valid IMEI), and is skipped if so. */
	if (!imei)
		return;
	if (expired) {
		want = BIT(NOTIFY_CUTOFF);
	} else {
		want = BIT(NOTIFY_GRACE);
		if (reminder_days && (int64_t)cutoff_day - local_day(t, tz) <= (int64_t)reminder_days)
			want |= BIT(NOTIFY_REMINDER);
	}
	w = written_slot(n, imei, imsi);
	if (w->imei == imei && w->imsi == imsi && w->day == cutoff_day && !(want & ~w->done))
		return;		/* all of it written already */
	c = find(n->slots, n->cap, imei, imsi);
	if (!c->imei) {
		if (n->n >= n->max) {
			st->dropped++;
			return;
		}
		if (n->n + 1 > n->cap / 2) {
			if (!grow(n)) {
				st->dropped++;
				return;
			}
			c = find(n->slots, n->cap, imei, imsi);	/* the table moved */
		}
		*c = (struct cand){ .imei = imei, .imsi = imsi };
		n->n++;
	}
	if (c->day != cutoff_day) {
		c->day = cutoff_day;	/* the newest cut-off day wins */
		c->want = 0;
	}
	c->want |= want;
	if (t >= c->t) {
		c->t = t, c->tz = tz, c->branch = branch, c->iface = iface;
	}
	if (msisdn)
		c->msisdn = msisdn;
}

struct emit_ctx {
	struct eird_notify *n;
	struct cand **cands;
	struct eird_notify_stats *st;
	size_t written[NOTIFY_KIND_COUNT];
	bool spool_failed;
};

_Static_assert(NOTIFY_KIND_COUNT == sizeof(((struct eird_notify_stats *)0)->events) / sizeof(uint64_t),
	       "a counter per kind");

static const char *iface_name(uint8_t iface)
{
	switch (iface) {
	case EIR_OBS_IF_S13:
		return "s13";
	case EIR_OBS_IF_MAP:
		return "map";
	case EIR_OBS_IF_N5G:
		return "n5g";
	default:
		return "";
	}
}

static void fill(struct notify_event *e, const struct cand *c, enum notify_kind kind, const char *node)
{
	int64_t today = local_day(c->t, c->tz);

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	snprintf(e->imei, sizeof(e->imei), "%014llu", (unsigned long long)c->imei);
	if (c->imsi)
		eir_imsi_format(c->imsi, e->imsi);
	if (c->msisdn)
		eir_imsi_format(c->msisdn, e->msisdn);
	e->cutoff_day = c->day;
	e->grace_end = (int64_t)c->day * 86400 - c->tz;
	e->days = kind == NOTIFY_CUTOFF || c->day <= today ? 0 : (int32_t)(c->day - today);
	snprintf(e->reason, sizeof(e->reason), "%s",
		 c->branch == EIR_BR_UNKNOWN ? "unknown-imei" : eir_branch_name((enum eir_branch)c->branch));
	snprintf(e->source, sizeof(e->source), "eird");
	snprintf(e->iface, sizeof(e->iface), "%s", iface_name(c->iface));
	snprintf(e->node, sizeof(e->node), "%s", node);
	e->t = c->t;
}

/* The fresh kinds as events, one spool file: a grace event that is new
 * carries the reminder's news too (no second SMS the same day). */
static int emit(void *ctx, const struct eir_obs_claim *cl, size_t n)
{
	struct emit_ctx *x = ctx;
	size_t ne = 0;
	char err[300];
	int rc;

	for (size_t i = 0; i < n; i++) {
		uint8_t fresh = cl[i].fresh;

		if (fresh & BIT(NOTIFY_GRACE))
			fresh &= (uint8_t)~BIT(NOTIFY_REMINDER);
		for (unsigned k = 0; k < NOTIFY_KIND_COUNT; k++)
			if (fresh & BIT(k))
				fill(&x->n->events[ne++], x->cands[i], (enum notify_kind)k, x->n->node);
	}
	if (!ne)
		return 0;
	rc = notify_spool_write(x->n->spool, x->n->node, x->n->events, ne, NULL, 0, err, sizeof(err));
	if (rc) {
		snprintf(x->st->last_error, sizeof(x->st->last_error), "%s", err);
		x->spool_failed = true;
		return rc;
	}
	for (size_t i = 0; i < ne; i++)
		x->written[x->n->events[i].kind]++;
	x->st->files++;
	return 0;
}

int eird_notify_flush(struct eird_notify *n, struct eir_obs_db *db, struct eird_notify_stats *st)
{
	struct emit_ctx x = { .n = n, .st = st };
	size_t k = 0;
	int rc;

	if (!n || !n->n)
		return 0;
	if (!db) {
		st->errors++;
		snprintf(st->last_error, sizeof(st->last_error), "the observation store is not open");
		return -EAGAIN;
	}
	if (n->claims_cap < n->n) {
		free(n->claims);
		free(n->events);
		n->claims_cap = n->n;
		n->claims = malloc(n->n * sizeof(*n->claims));
		/* at most two kinds each are written: grace + cut-off never mix */
		n->events = malloc(n->n * 2 * sizeof(*n->events));
		if (!n->claims || !n->events) {
			n->claims_cap = 0;
			st->errors++;
			snprintf(st->last_error, sizeof(st->last_error), "out of memory");
			return -ENOMEM;
		}
	}
	x.cands = malloc(n->n * sizeof(*x.cands));
	if (!x.cands) {
		st->errors++;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n->cap; i++) {
		struct cand *c = &n->slots[i];

		if (!c->imei)
			continue;
		n->claims[k] = (struct eir_obs_claim){ .imei = c->imei, .imsi = c->imsi, .day = c->day, .want = c->want };
		x.cands[k++] = c;
	}
	rc = eir_obs_claim(db, n->claims, k, emit, &x);
	if (rc) {
		st->errors++;
		if (!x.spool_failed)
			snprintf(st->last_error, sizeof(st->last_error), "observation store: %s", strerror(-rc));
		free(x.cands);
		return rc;
	}
	for (size_t i = 0; i < k; i++) {
		struct written *w = written_slot(n, x.cands[i]->imei, x.cands[i]->imsi);
		uint8_t done = x.cands[i]->want;

		if (w->imei == x.cands[i]->imei && w->imsi == x.cands[i]->imsi && w->day == x.cands[i]->day)
			done |= w->done;
		*w = (struct written){ .imei = x.cands[i]->imei, .imsi = x.cands[i]->imsi, .day = x.cands[i]->day,
				       .done = done };
	}
	for (unsigned i = 0; i < NOTIFY_KIND_COUNT; i++)
		st->events[i] += x.written[i];
	free(x.cands);
	memset(n->slots, 0, n->cap * sizeof(*n->slots));
	n->n = 0;
	st->last_error[0] = '\0';
	return 0;
}
