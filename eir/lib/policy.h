/* The EIR policy (docs/policy.md): one function that every interface calls to
 * turn an IMEI (and IMSI) into a verdict and the branch that decided it. */
#pragma once

#include <stdbool.h>
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
	EIR_BR_GRACE_EXPIRED,	/* unknown or registered past its grace period */
	EIR_BRANCH_COUNT
};

/* `policy mode`: enforce sends the verdict; monitor sends WHITELISTED and
 * keeps the verdict enforce would have sent in eir_result.decided. */
enum eir_mode {
	EIR_MODE_ENFORCE = 0,
	EIR_MODE_MONITOR,
};

/* `unknown-imei grace DAYS then V`: greylisted until DAYS days (counted in
 * the policy's time zone) after the IMEI's first sighting, then V.
 * days 0: no grace, the plain outcome applies. */
#define EIR_GRACE_MAX_DAYS 3650
struct eir_grace {
	unsigned days;
	enum eir_verdict then;
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
	/* With days set, unknown_imei (registered) is GREYLISTED. */
	struct eir_grace unknown_grace;
	struct eir_grace registered_grace;
	enum eir_mode mode;
	/* Seconds east of UTC of the time zone days are counted in. */
	int tz_offset;
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
	/* The verdict the policy decided; verdict is what goes on the wire
	 * (WHITELISTED in monitor mode). */
	enum eir_verdict decided;
	bool monitored;			/* monitor mode changed the verdict */
	/* A grace period applied (the branch is unknown, registered or
	 * grace-expired): the first sighting it counts from (the earliest of
	 * the caller's and the imported one; the query's time when neither
	 * knows the IMEI) and the start of the day it ends (unix seconds). */
	bool grace;
	bool first_sighting;		/* nobody had seen the IMEI before */
	uint32_t first_seen;
	uint32_t grace_end;
};

/* The caller's own record of when it first saw an IMEI (any IMSI): 0 and
 * unix seconds in *first, -ENOENT when never, or an error (the grace then
 * counts from the imported sighting or from now). */
typedef int (*eir_first_seen_fn)(void *ctx, uint64_t imei, uint32_t *first);

/* A query as the front ends hand it over: the identity already parsed (or
 * its parse error), and the IMSI packed by eir_imsi_parse (0 = absent). */
struct eir_query {
	int imei_err;
	struct eir_imei imei;
	uint64_t imsi;
	uint64_t msisdn;		/* packed like the IMSI; 0 = absent */
	/* Asked only when a grace period applies; NULL: no own sightings. */
	eir_first_seen_fn first_seen;
	void *first_seen_ctx;
};

/* Decide. Never fails: store errors become EIR_BR_FAILURE. The imported
 * first sightings come from the store (eir_store_get_first_seen). */
void eir_check(struct eir_store *store, const struct eir_policy *pol,
	       const struct eir_query *q, time_t now, struct eir_result *res);

/* The monitor-mode step alone, for an answer decided without eir_check()
 * (res->verdict set): fills decided and monitored. */
void eir_policy_apply_mode(const struct eir_policy *pol, struct eir_result *res);

/* The grace period's end for an IMEI first seen at first: the start (in
 * the policy's time zone) of the day `days` days after the day of first. */
uint32_t eir_grace_end(const struct eir_policy *pol, const struct eir_grace *g, uint32_t first);

/* Set one policy outcome by its configuration words, e.g. ("unknown-imei",
 * "greylisted"), ("unknown-imei", "grace 30 then blacklisted"), ("mode",
 * "monitor"), ("time-zone", "UTC+03:30") or ("check-digit",
 * "strict|spare|ignore"). The one table of policy words: eird's VTY and
 * eir-db --policy both go through it.
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
const char *eir_mode_name(enum eir_mode m);
/* "UTC", "UTC+03:30", "UTC-05:00" or "+03:30" -> seconds east of UTC;
 * 0 or -EINVAL. At most 14 hours either way. */
int eir_tz_parse(const char *s, int *offset);
/* "UTC" or "UTC+03:30". */
void eir_tz_format(int offset, char out[16]);
