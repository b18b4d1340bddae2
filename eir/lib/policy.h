/* The EIR policy (docs/policy.md): one function that every interface calls to
 * turn an IMEI (and IMSI) into a verdict and the branch that decided it. */
#pragma once

#include <stdint.h>
#include <time.h>

#include "imei.h"
#include "record.h"

struct eir_store;

enum eir_verdict {
	EIR_WHITELISTED = 0,
	EIR_BLACKLISTED,
	EIR_GREYLISTED,
	EIR_UNKNOWN,		/* S13 5422, MAP unknownEquipment, 5G 404 */
	EIR_VERDICT_COUNT
};

/* The branch of §4 that decided; every one has its own counter. */
enum eir_branch {
	EIR_BR_INVALID = 0,	/* invalid IMEI -> policy invalid-imei */
	EIR_BR_EXEMPT,		/* exact record, exempt */
	EIR_BR_PAIRED,		/* IMSI in the record's pair list (overrides a block) */
	EIR_BR_PAIR_MISMATCH,	/* locked record, IMSI not paired -> policy pair-mismatch */
	EIR_BR_ACTIVE,
	EIR_BR_REGISTERED,	/* -> policy registered */
	EIR_BR_TRAVELLER,	/* traveller within valid_until */
	EIR_BR_EXPIRED,		/* traveller past valid_until -> policy expired */
	EIR_BR_BLOCKED,
	EIR_BR_TRACKED,
	EIR_BR_RANGE,		/* a range / TAC rule covered the IMEI */
	EIR_BR_UNKNOWN,		/* not found -> policy unknown-imei */
	EIR_BR_FAILURE,		/* store error -> policy failure */
	EIR_BRANCH_COUNT
};

/* The configurable outcomes; filled by whoever parses config. */
struct eir_policy {
	enum eir_verdict invalid_imei;
	enum eir_verdict unknown_imei;
	enum eir_verdict registered;
	enum eir_verdict expired;
	enum eir_verdict pair_mismatch;
	enum eir_verdict failure;
	/* eir_imei_flags applied to 15-digit identities at query time. */
	unsigned imei_flags;
};

/* invalid blacklisted, unknown greylisted, registered greylisted, expired
 * greylisted, pair-mismatch greylisted, failure whitelisted; 15th digit may
 * be the check digit or the spare 0. */
void eir_policy_defaults(struct eir_policy *p);

struct eir_result {
	enum eir_verdict verdict;
	enum eir_branch branch;
	enum eir_status status;		/* of the record or range, NONE otherwise */
	uint8_t reason;			/* reason id of the record or range */
	int imei_err;			/* enum eir_imei_err for EIR_BR_INVALID */
	int store_err;			/* negative errno for EIR_BR_FAILURE */
};

/* A query as the front ends hand it over: the identity already parsed (or
 * its parse error), and the IMSI packed by eir_imsi_parse (0 = absent). */
struct eir_query {
	int imei_err;
	struct eir_imei imei;
	uint64_t imsi;
};

/* Decide. Never fails: store errors become EIR_BR_FAILURE. */
void eir_check(struct eir_store *store, const struct eir_policy *pol,
	       const struct eir_query *q, time_t now, struct eir_result *res);

/* Set one policy outcome by its configuration words, e.g. ("unknown-imei",
 * "greylisted") or ("check-digit", "strict|spare|ignore"). The one table of
 * policy words: eird's VTY and eir-db --policy both go through it.
 * Returns 0, -ENOENT for an unknown key, -EINVAL for a bad value. */
int eir_policy_set(struct eir_policy *p, const char *key, const char *value);
/* The policy a file gives, as eird applies it: the defaults, then the
 * settings of the `policy` node of an eird.cfg (none when it has no such
 * node), or of bare `key value` lines in a file without the `eir` node.
 * All or nothing: pol changes only on success; err names file:line.
 * 0 or negative errno. */
int eir_policy_load(const char *path, struct eir_policy *pol, char *err, size_t errsz);

/* Call emit(ctx, key, value) for every setting, in configuration order. */
void eir_policy_foreach(const struct eir_policy *p,
			void (*emit)(void *ctx, const char *key, const char *value), void *ctx);

const char *eir_verdict_name(enum eir_verdict v);
/* Returns -1 for an unknown name. */
int eir_verdict_from_name(const char *name);
const char *eir_branch_name(enum eir_branch b);
