/* The EIR policy (policy.h): the order of docs/policy.md, nothing else. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "policy.h"
#include "store.h"

static const char *const verdict_names[EIR_VERDICT_COUNT] = {
	[EIR_WHITELISTED] = "whitelisted",
	[EIR_BLACKLISTED] = "blacklisted",
	[EIR_GREYLISTED] = "greylisted",
	[EIR_UNKNOWN] = "unknown",
};

static const char *const branch_names[EIR_BRANCH_COUNT] = {
	[EIR_BR_INVALID] = "invalid",
	[EIR_BR_EXEMPT] = "exempt",
	[EIR_BR_PAIRED] = "paired-exception",
	[EIR_BR_PAIR_MISMATCH] = "pair-mismatch",
	[EIR_BR_ACTIVE] = "active",
	[EIR_BR_REGISTERED] = "registered",
	[EIR_BR_TRAVELLER] = "traveller",
	[EIR_BR_EXPIRED] = "expired",
	[EIR_BR_BLOCKED] = "blocked",
	[EIR_BR_TRACKED] = "tracked",
	[EIR_BR_RANGE] = "range",
	[EIR_BR_UNKNOWN] = "unknown",
	[EIR_BR_FAILURE] = "failure",
	[EIR_BR_GRACE_EXPIRED] = "grace-expired",
};

static const char *const mode_names[] = {
	[EIR_MODE_ENFORCE] = "enforce",
	[EIR_MODE_MONITOR] = "monitor",
};

const char *eir_verdict_name(enum eir_verdict v)
{
	return (unsigned)v < EIR_VERDICT_COUNT ? verdict_names[v] : "invalid";
}

int eir_verdict_from_name(const char *name)
{
	for (int v = 0; v < EIR_VERDICT_COUNT; v++) {
		if (!strcmp(verdict_names[v], name))
			return v;
	}
	return -1;
}

const char *eir_branch_name(enum eir_branch b)
{
	return (unsigned)b < EIR_BRANCH_COUNT ? branch_names[b] : "invalid";
}

const char *eir_mode_name(enum eir_mode m)
{
	return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "invalid";
}

int eir_tz_parse(const char *s, int *offset)
{
	unsigned hh, mm;
	int sign, n = 0;

	if (!strncmp(s, "UTC", 3) && !s[3]) {
		*offset = 0;
		return 0;
	}
	if (!strncmp(s, "UTC", 3))
		s += 3;
	if (*s != '+' && *s != '-')
		return -EINVAL;
	sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    sscanf(s, "%2u:%2u%n", &hh, &mm, &n) != 2 || s[n] || n != 5 || mm > 59 || hh * 60 + mm > 14 * 60)
		return -EINVAL;
	*offset = sign * (int)(hh * 3600 + mm * 60);
	return 0;
}

void eir_tz_format(int offset, char out[16])
{
	unsigned a = (unsigned)(offset < 0 ? -offset : offset);

	if (!offset)
		snprintf(out, 16, "UTC");
	else
		snprintf(out, 16, "UTC%c%02u:%02u", offset < 0 ? '-' : '+', (a / 3600) % 100, (a / 60) % 60);
}

void eir_policy_defaults(struct eir_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->invalid_imei = EIR_BLACKLISTED;
	p->unknown_imei = EIR_GREYLISTED;
	p->registered = EIR_GREYLISTED;
	p->expired = EIR_GREYLISTED;
	p->pair_mismatch = EIR_GREYLISTED;
	p->failure = EIR_WHITELISTED;
	p->imei_flags = EIR_IMEI_ALLOW_SPARE0;
	p->unknown_grace = (struct eir_grace){ .days = 0, .then = EIR_BLACKLISTED };
	p->registered_grace = (struct eir_grace){ .days = 0, .then = EIR_BLACKLISTED };
	p->mode = EIR_MODE_ENFORCE;
	p->tz_offset = 0;
}

#define NO_GRACE ((size_t)-1)

static const struct {
	const char *key;
	size_t offset;
	size_t grace;		/* offset of its struct eir_grace, or NO_GRACE */
} policy_keys[] = {
	{ "invalid-imei", offsetof(struct eir_policy, invalid_imei), NO_GRACE },
	{ "unknown-imei", offsetof(struct eir_policy, unknown_imei), offsetof(struct eir_policy, unknown_grace) },
	{ "registered", offsetof(struct eir_policy, registered), offsetof(struct eir_policy, registered_grace) },
	{ "expired", offsetof(struct eir_policy, expired), NO_GRACE },
	{ "pair-mismatch", offsetof(struct eir_policy, pair_mismatch), NO_GRACE },
	{ "failure", offsetof(struct eir_policy, failure), NO_GRACE },
};

static const struct {
	const char *name;
	unsigned flags;
} check_digit_modes[] = {
	{ "strict", EIR_IMEI_STRICT_CD },
	{ "spare", EIR_IMEI_ALLOW_SPARE0 },
	{ "ignore", EIR_IMEI_IGNORE_CD },
};

#define CD_MASK (EIR_IMEI_ALLOW_SPARE0 | EIR_IMEI_IGNORE_CD)

/* "grace DAYS [then blacklisted|greylisted]" */
static int parse_grace(const char *value, struct eir_grace *g)
{
	char then[16] = "";
	unsigned days;
	int n = 0, v;

	if (sscanf(value, "grace %u%n", &days, &n) != 1 || !n || !isdigit((unsigned char)value[6]))
		return -EINVAL;
	value += n;
	if (*value) {
		int m = 0;
		if (sscanf(value, " then %15s%n", then, &m) != 1 || value[m])
			return -EINVAL;
	}
	if (days < 1 || days > EIR_GRACE_MAX_DAYS)
		return -EINVAL;
	v = *then ? eir_verdict_from_name(then) : EIR_BLACKLISTED;
	if (v != EIR_BLACKLISTED && v != EIR_GREYLISTED)
		return -EINVAL;
	g->days = days;
	g->then = (enum eir_verdict)v;
	return 0;
}

int eir_policy_set(struct eir_policy *p, const char *key, const char *value)
{
	if (!strcmp(key, "mode")) {
		for (unsigned m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
			if (!strcmp(value, mode_names[m])) {
				p->mode = (enum eir_mode)m;
				return 0;
			}
		}
		return -EINVAL;
	}
	if (!strcmp(key, "time-zone"))
		return eir_tz_parse(value, &p->tz_offset);
	if (!strcmp(key, "check-digit")) {
		for (size_t i = 0; i < sizeof(check_digit_modes) / sizeof(check_digit_modes[0]); i++) {
			if (!strcmp(value, check_digit_modes[i].name)) {
				p->imei_flags = (p->imei_flags & ~CD_MASK) | check_digit_modes[i].flags;
				return 0;
			}
		}
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
		struct eir_grace *g = policy_keys[i].grace == NO_GRACE ? NULL
				      : (struct eir_grace *)((char *)p + policy_keys[i].grace);
		int v;

		if (strcmp(key, policy_keys[i].key))
			continue;
		if (g && !strncmp(value, "grace", 5)) {
			struct eir_grace ng;
			if (parse_grace(value, &ng))
				return -EINVAL;
			*g = ng;
			v = EIR_GREYLISTED;
		} else if ((v = eir_verdict_from_name(value)) < 0) {
			return -EINVAL;
		} else if (g) {
			g->days = 0;
		}
		*(enum eir_verdict *)((char *)p + policy_keys[i].offset) = (enum eir_verdict)v;
		return 0;
	}
	return -ENOENT;
}

void eir_policy_foreach(const struct eir_policy *p,
			void (*emit)(void *ctx, const char *key, const char *value), void *ctx)
{
	char buf[64];

	emit(ctx, "mode", eir_mode_name(p->mode));
	for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
		const enum eir_verdict *v = (const void *)((const char *)p + policy_keys[i].offset);
		const struct eir_grace *g = policy_keys[i].grace == NO_GRACE ? NULL
					    : (const void *)((const char *)p + policy_keys[i].grace);
		if (g && g->days) {
			snprintf(buf, sizeof(buf), "grace %u then %s", g->days, eir_verdict_name(g->then));
			emit(ctx, policy_keys[i].key, buf);
		} else {
			emit(ctx, policy_keys[i].key, eir_verdict_name(*v));
		}
	}
	for (size_t i = 0; i < sizeof(check_digit_modes) / sizeof(check_digit_modes[0]); i++) {
		if ((p->imei_flags & CD_MASK) == check_digit_modes[i].flags) {
			emit(ctx, "check-digit", check_digit_modes[i].name);
			break;
		}
	}
	eir_tz_format(p->tz_offset, buf);
	emit(ctx, "time-zone", buf);
}

/* Verdict for a registry status, shared by exact records and range rules. */
static void by_status(const struct eir_policy *pol, const struct eir_record *rec,
		      time_t now, struct eir_result *res)
{
	switch (rec->status) {
	case EIR_STATUS_EXEMPT:
		res->verdict = EIR_WHITELISTED, res->branch = EIR_BR_EXEMPT;
		break;
	case EIR_STATUS_ACTIVE:
		res->verdict = EIR_WHITELISTED, res->branch = EIR_BR_ACTIVE;
		break;
	case EIR_STATUS_REGISTERED:
		res->verdict = pol->registered, res->branch = EIR_BR_REGISTERED;
		break;
	case EIR_STATUS_TRAVELLER:
		if (!rec->valid_until || (time_t)rec->valid_until > now)
			res->verdict = EIR_WHITELISTED, res->branch = EIR_BR_TRAVELLER;
		else
			res->verdict = pol->expired, res->branch = EIR_BR_EXPIRED;
		break;
	case EIR_STATUS_BLOCKED:
		res->verdict = EIR_BLACKLISTED, res->branch = EIR_BR_BLOCKED;
		break;
	case EIR_STATUS_TRACKED:
		res->verdict = EIR_GREYLISTED, res->branch = EIR_BR_TRACKED;
		break;
	default:
		/* record_decode() lets no other status through. */
		res->verdict = pol->failure, res->branch = EIR_BR_FAILURE;
		res->store_err = -EBADMSG;
		break;
	}
}

static void failure(const struct eir_policy *pol, int err, struct eir_result *res)
{
	res->verdict = pol->failure;
	res->branch = EIR_BR_FAILURE;
	res->store_err = err;
}

static void decide(struct eir_store *store, const struct eir_policy *pol,
		   const struct eir_query *q, time_t now, struct eir_result *res)
{
	struct eir_record rec;
	uint64_t first, last;
	int rc;

	memset(res, 0, sizeof(*res));
	if (q->imei_err) {
		res->verdict = pol->invalid_imei;
		res->branch = EIR_BR_INVALID;
		res->imei_err = q->imei_err;
		return;
	}

	rc = eir_store_get(store, q->imei.key, &rec);
	if (rc == 0) {
		res->status = rec.status;
		res->reason = rec.reason;
		if (rec.status == EIR_STATUS_EXEMPT) {
			res->verdict = EIR_WHITELISTED, res->branch = EIR_BR_EXEMPT;
			return;
		}
		/* Without an IMSI the pairing cannot be judged: status decides. */
		if ((rec.flags & EIR_REC_HAS_PAIRS) && q->imsi) {
			rc = eir_store_has_pair(store, q->imei.key, q->imsi);
			if (rc < 0) {
				failure(pol, rc, res);
				return;
			}
			if (rc == 1) {
				res->verdict = EIR_WHITELISTED, res->branch = EIR_BR_PAIRED;
				return;
			}
			if (rec.flags & EIR_REC_LOCKED) {
				res->verdict = pol->pair_mismatch, res->branch = EIR_BR_PAIR_MISMATCH;
				return;
			}
		}
		by_status(pol, &rec, now, res);
		return;
	}
	if (rc != -ENOENT) {
		failure(pol, rc, res);
		return;
	}

	rc = eir_store_find_range(store, q->imei.key, &first, &last, &rec);
	if (rc == 0) {
		by_status(pol, &rec, now, res);
		res->status = rec.status;
		res->reason = rec.reason;
		if (res->branch != EIR_BR_FAILURE)
			res->branch = EIR_BR_RANGE;
		return;
	}
	if (rc != -ENOENT) {
		failure(pol, rc, res);
		return;
	}
	res->verdict = pol->unknown_imei;
	res->branch = EIR_BR_UNKNOWN;
}

static int64_t day_of(int64_t t, int tz)
{
	int64_t x = t + tz;

	return x >= 0 ? x / 86400 : -((-x + 86399) / 86400);
}

uint32_t eir_grace_end(const struct eir_policy *pol, const struct eir_grace *g, uint32_t first)
{
	int64_t end = (day_of(first, pol->tz_offset) + (int64_t)g->days) * 86400 - pol->tz_offset;

	return end < 0 ? 0 : end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
}

/* The grace period, for the outcomes that have one: from the earliest of
 * the caller's and the imported first sighting (or now, when nobody saw the
 * IMEI before), GREYLISTED until the start of the day DAYS days after the
 * day of that sighting, then the grace's `then` as grace-expired. */
static void grace(struct eir_store *store, const struct eir_policy *pol,
		  const struct eir_query *q, time_t now, struct eir_result *res)
{
	const struct eir_grace *g = NULL;
	uint32_t own = 0, imported = 0, first;
	bool have_own, have_imported;
	int rc;

	if (res->branch == EIR_BR_UNKNOWN)
		g = &pol->unknown_grace;
	else if (res->status == EIR_STATUS_REGISTERED &&
		 (res->branch == EIR_BR_REGISTERED || res->branch == EIR_BR_RANGE))
		g = &pol->registered_grace;
	if (!g || !g->days)
		return;

	have_own = q->first_seen && q->first_seen(q->first_seen_ctx, q->imei.key, &own) == 0;
	rc = eir_store_get_first_seen(store, q->imei.key, &imported);
	if (rc && rc != -ENOENT) {
		failure(pol, rc, res);
		return;
	}
	have_imported = rc == 0;
	if (have_own && have_imported)
		first = own < imported ? own : imported;
	else if (have_own || have_imported)
		first = have_own ? own : imported;
	else
		first = now < 0 ? 0 : now > UINT32_MAX ? UINT32_MAX : (uint32_t)now;

	res->grace = true;
	res->first_sighting = !have_own && !have_imported;
	res->first_seen = first;
	res->grace_end = eir_grace_end(pol, g, first);
	if ((int64_t)now >= (int64_t)res->grace_end) {
		res->verdict = g->then;
		res->branch = EIR_BR_GRACE_EXPIRED;
	} else {
		res->verdict = EIR_GREYLISTED;
	}
}

void eir_policy_apply_mode(const struct eir_policy *pol, struct eir_result *res)
{
	res->decided = res->verdict;
	res->monitored = false;
	if (pol->mode == EIR_MODE_MONITOR && res->verdict != EIR_WHITELISTED) {
		res->verdict = EIR_WHITELISTED;
		res->monitored = true;
	}
}

void eir_check(struct eir_store *store, const struct eir_policy *pol,
	       const struct eir_query *q, time_t now, struct eir_result *res)
{
	decide(store, pol, q, now, res);
	grace(store, pol, q, now, res);
	eir_policy_apply_mode(pol, res);
}

static char *trim(char *p)
{
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return p;
}

static int load(const char *path, struct eir_policy *pol, char *err, size_t errsz)
{
	struct eir_policy p;
	char line[512];
	bool has_node = false, in_node = false, is_cfg = false, in_eir = false;
	int node_indent = 0, lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	eir_policy_defaults(&p);
	/* Only the policy node of the eir block: the ones under diameter,
	 * map and n5g are an interface's overrides. */
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "!#\n")] = '\0';
		bool top = line[0] && line[0] != ' ' && line[0] != '\t';

		if (top)
			in_eir = !strcmp(trim(line), "eir");
		is_cfg |= in_eir;
		/* policy under eir, or a file that is a policy node itself */
		if ((in_eir || top) && !strcmp(trim(line), "policy"))
			has_node = true;
	}
	in_eir = false;
	rewind(f);
	/* An eird.cfg (it has the `eir` node) without a policy node: the
	 * defaults; a file of bare `key value` lines: those. */
	while (!rc && (has_node || !is_cfg) && fgets(line, sizeof(line), f)) {
		char *s = line, *key, *val, *extra, *save;
		int indent = 0;

		lineno++;
		s[strcspn(s, "!#\n")] = '\0';
		while (s[indent] == ' ' || s[indent] == '\t')
			indent++;
		s = trim(s);
		if (!*s)
			continue;
		if (has_node) {
			if (indent == 0)
				in_eir = !strcmp(s, "eir");
			if ((indent == 0 || in_eir) && !strcmp(s, "policy")) {
				in_node = true, node_indent = indent;
				continue;
			}
			if (indent <= node_indent)
				in_node = false;
			if (!in_node)
				continue;
		}
		key = strtok_r(s, " \t", &save);
		val = save ? trim(save) : NULL;
		/* Words of a value are separated by one blank, as the VTY
		 * writes them. */
		for (extra = val; extra && *extra; extra++)
			if (*extra == '\t')
				*extra = ' ';
		if (!val || !*val) {
			snprintf(err, errsz, "%s:%d: expected 'KEY VALUE'", path, lineno);
			rc = -EINVAL;
			break;
		}
		switch (eir_policy_set(&p, key, val)) {
		case 0:
			break;
		case -ENOENT:
			snprintf(err, errsz, "%s:%d: unknown policy setting '%s'", path, lineno, key);
			rc = -EINVAL;
			break;
		default:
			snprintf(err, errsz, "%s:%d: bad value '%s' for '%s'", path, lineno, val, key);
			rc = -EINVAL;
			break;
		}
	}
	fclose(f);
	if (!rc)
		*pol = p;
	return rc;
}

int eir_policy_load(const char *path, struct eir_policy *pol, char *err, size_t errsz)
{
	return load(path, pol, err, errsz);
}
