/* Notification events for the warning SMS (docs/notify.md), the writer
 * thread's side: the interval's grace verdicts become candidates, and at
 * each commit the candidates not written before (marks in the observation
 * store) go to the spool as one file, then the marks commit. Owned by the
 * writer thread; no logging here (the main thread reports). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observed.h"

struct eird_notify;

struct eird_notify_stats {
	uint64_t events[3];		/* written, per kind (grace, reminder, cut-off) */
	uint64_t files;			/* spool files written */
	uint64_t errors;		/* flushes that failed (spool or store): retried */
	uint64_t dropped;		/* candidates that found the table full */
	char last_error[256];
};

/* max: candidates (distinct pairs) held at most; spool and node are kept. */
struct eird_notify *eird_notify_new(size_t max, const char *spool, const char *node);
void eird_notify_free(struct eird_notify *n);

/* One grace verdict: cutoff_day is the cut-off date (days since
 * 1970-01-01 in the policy's time zone tz, seconds east of UTC), expired
 * whether the grace had ended when it was given; reminder_days: the
 * notify-reminder window (0: none). iface is an EIR_OBS_IF_*. */
void eird_notify_add(struct eird_notify *n, uint64_t imei, uint64_t imsi, uint64_t msisdn, uint32_t t,
		     uint16_t cutoff_day, int32_t tz, bool expired, uint8_t branch, uint8_t iface,
		     unsigned reminder_days, struct eird_notify_stats *st);

/* Claim the candidates in db and write the new events: 0 (the candidates
 * are gone) or -errno (they are kept for the next call, st says why). */
int eird_notify_flush(struct eird_notify *n, struct eir_obs_db *db, struct eird_notify_stats *st);

/* Pairs expired from the store: forget what is known to be written. */
void eird_notify_forget(struct eird_notify *n);

size_t eird_notify_pending(const struct eird_notify *n);
