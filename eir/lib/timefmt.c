/* ISO 8601 UTC times as the snapshots and tools write them (timefmt.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

const char *eir_time_format(uint64_t t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, sz, t % 86400 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d", &tm))
		snprintf(buf, sz, "%llu", (unsigned long long)t);
	return buf;
}

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

int eir_time_parse(const char *s, size_t len, uint64_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, se = 0;
	time_t t;

	if (len != 10 && len != 20)
		return -EINVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -EINVAL;
	if (len == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
			  digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se) ||
			  s[19] != 'Z'))
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalises 31 February into March: refuse such dates. */
	if (t < 0 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -EINVAL;
	*out = (uint64_t)t;
	return 0;
}

/* EIR_CLOCK_OFFSET: a test aid (docs/observed.md) that moves the wall clock
 * of the grace period: "+31d", "-2h", "90m", "3600" (seconds). Read once. */
static int64_t clock_offset(void)
{
	static int64_t off;
	static int done;
	const char *s;
	char *end;
	long long v;

	if (done)
		return off;
	done = 1;
	s = getenv("EIR_CLOCK_OFFSET");
	if (!s || !*s)
		return off;
	v = strtoll(s, &end, 10);
	switch (*end) {
	case 'd': v *= 86400, end++; break;
	case 'h': v *= 3600, end++; break;
	case 'm': v *= 60, end++; break;
	case 's': end++; break;
	default: break;
	}
	if (*end) {
		fprintf(stderr, "EIR_CLOCK_OFFSET '%s' ignored: use [+-]N[d|h|m|s]\n", s);
		return off;
	}
	off = v;
	return off;
}

time_t eir_now(void)
{
	return time(NULL) + (time_t)clock_offset();
}
