/* ISO 8601 UTC times as the snapshots and tools write them. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DD" for midnight UTC, else "YYYY-MM-DDTHH:MM:SSZ". Returns buf. */
const char *eir_time_format(uint64_t t, char *buf, size_t sz);
/* Parse either form (a date means its midnight UTC). 0 or -EINVAL. */
int eir_time_parse(const char *s, size_t len, uint64_t *out);
