/* ISO 8601 UTC times as the snapshots and tools write them. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "YYYY-MM-DD" for midnight UTC, else "YYYY-MM-DDTHH:MM:SSZ". Returns buf. */
const char *eir_time_format(uint64_t t, char *buf, size_t sz);
/* Parse either form (a date means its midnight UTC). 0 or -EINVAL. */
int eir_time_parse(const char *s, size_t len, uint64_t *out);
/* The wall clock of the grace period and of observations: time() moved by
 * the EIR_CLOCK_OFFSET test aid ("+31d", "-2h", "3600"), so that a test
 * crosses a grace boundary without sleeping; a process-level clock shift
 * (faketime) moves it too. */
time_t eir_now(void);
