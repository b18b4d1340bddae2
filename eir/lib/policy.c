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

void eir_policy_defaults(struct eir_policy *p)
{
	p->invalid_imei = EIR_BLACKLISTED;
	p->unknown_imei = EIR_GREYLISTED;
	p->registered = EIR_GREYLISTED;
	p->expired = EIR_GREYLISTED;
	p->pair_mismatch = EIR_GREYLISTED;
	p->failure = EIR_WHITELISTED;
	p->imei_flags = EIR_IMEI_ALLOW_SPARE0;
}

static const struct {
	const char *key;
	size_t offset;
} policy_keys[] = {
	{ "invalid-imei", offsetof(struct eir_policy, invalid_imei) },
	{ "unknown-imei", offsetof(struct eir_policy, unknown_imei) },
	{ "registered", offsetof(struct eir_policy, registered) },
	{ "expired", offsetof(struct eir_policy, expired) },
	{ "pair-mismatch", offsetof(struct eir_policy, pair_mismatch) },
	{ "failure", offsetof(struct eir_policy, failure) },
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

int eir_policy_set(struct eir_policy *p, const char *key, const char *value)
{
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
		if (strcmp(key, policy_keys[i].key))
			continue;
		int v = eir_verdict_from_name(value);
		if (v < 0)
			return -EINVAL;
		*(enum eir_verdict *)((char *)p + policy_keys[i].offset) = (enum eir_verdict)v;
		return 0;
	}
	return -ENOENT;
}

void eir_policy_foreach(const struct eir_policy *p,
			void (*emit)(void *ctx, const char *key, const char *value), void *ctx)
{
	for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
		const enum eir_verdict *v = (const void *)((const char *)p + policy_keys[i].offset);
		emit(ctx, policy_keys[i].key, eir_verdict_name(*v));
	}
	for (size_t i = 0; i < sizeof(check_digit_modes) / sizeof(check_digit_modes[0]); i++) {
		if ((p->imei_flags & CD_MASK) == check_digit_modes[i].flags) {
			emit(ctx, "check-digit", check_digit_modes[i].name);
			break;
		}
	}
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

void eir_check(struct eir_store *store, const struct eir_policy *pol,
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
	bool has_node = false, in_node = false, is_cfg = false;
	int node_indent = 0, lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	eir_policy_defaults(&p);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "!#\n")] = '\0';
		is_cfg |= !strcmp(line, "eir") || !strncmp(line, "eir ", 4);
		if (!strcmp(trim(line), "policy"))
			has_node = true;
	}
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
			if (!strcmp(s, "policy")) {
				in_node = true, node_indent = indent;
				continue;
			}
			if (indent <= node_indent)
				in_node = false;
			if (!in_node)
				continue;
		}
		key = strtok_r(s, " \t", &save);
		val = strtok_r(NULL, " \t", &save);
		extra = strtok_r(NULL, " \t", &save);
		if (!val || extra) {
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
