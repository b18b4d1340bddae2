/* Notification events as JSON lines, and the spool files that carry them
 * (spool.h, docs/notify.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"

#define SPOOL_EXT ".jsonl"
#define SPOOL_MAX_FILES 100000		/* one listing's names held at most */

static const char *const kind_names[NOTIFY_KIND_COUNT] = {
	[NOTIFY_GRACE] = "grace",
	[NOTIFY_REMINDER] = "reminder",
	[NOTIFY_CUTOFF] = "cut-off",
};

const char *notify_kind_name(enum notify_kind k)
{
	return (unsigned)k < NOTIFY_KIND_COUNT ? kind_names[k] : "?";
}

int notify_kind_parse(const char *s, enum notify_kind *out)
{
	for (unsigned k = 0; k < NOTIFY_KIND_COUNT; k++) {
		if (!strcmp(s, kind_names[k])) {
			*out = (enum notify_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

/* ------------------------------------------------------------ day numbers */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back: the
 * civil-from-days arithmetic on 400-year eras (146097 days each). */
static int32_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void notify_day_civil(int32_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t zz = (int64_t)z + 719468;
	int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
	int64_t doe = zz - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void notify_day_format(int32_t day, char out[11])
{
	int y;
	unsigned m, d;

	notify_day_civil(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, 11, "0000-00-00");
		return;
	}
	snprintf(out, 11, "%04d-%02u-%02u", y, m, d);
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int notify_day_parse(const char *s, int32_t *day)
{
	size_t len = strlen(s);
	unsigned y, m, d;
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (len == 10 && s[4] == '-' && s[7] == '-' && digits(s, 4) && digits(s + 5, 2) && digits(s + 8, 2)) {
		y = (unsigned)atoi(s), m = (unsigned)atoi(s + 5), d = (unsigned)atoi(s + 8);
	} else if (len == 8 && digits(s, 8)) {
		y = (unsigned)(atoi(s) / 10000), m = (unsigned)(atoi(s) / 100 % 100), d = (unsigned)(atoi(s) % 100);
	} else {
		return -EINVAL;
	}
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -EINVAL;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	*day = days_from_civil(y, m, d);
	return 0;
}

/* ------------------------------------------------------------ one line */

int notify_event_format(const struct notify_event *e, char *buf, size_t len)
{
	char date[11];
	json_t *o;
	size_t n;

	notify_day_format(e->cutoff_day, date);
	o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:i,s:s,s:s,s:s,s:s,s:I}",
		      "v", 1, "kind", notify_kind_name(e->kind), "imei", e->imei, "imsi", e->imsi,
		      "msisdn", e->msisdn, "cutoff", date, "cutoff_day", (json_int_t)e->cutoff_day,
		      "grace_end", (json_int_t)e->grace_end, "days", (int)e->days, "reason", e->reason,
		      "source", e->source, "iface", e->iface, "node", e->node, "t", (json_int_t)e->t);
	if (!o)
		return -EINVAL;	/* a string that is not UTF-8 */
	n = json_dumpb(o, buf, len, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!n || n >= len)
		return -ENOSPC;
	buf[n] = '\0';
	return (int)n;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A string field of at most max digits (min..max), or any printable text
 * when min is 0 and only_digits false. */
static int get_str(json_t *o, const char *key, char *out, size_t outsz, size_t min, bool only_digits,
		   bool required, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	out[0] = '\0';
	if (!v) {
		if (required)
			return fail(err, errlen, "no \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, "\"%s\" is not a string", key);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= outsz || (n && n < min) || (required && n < min) || memchr(s, '\0', n))
		return fail(err, errlen, "\"%s\" has %zu characters", key, n);
	if (only_digits && !digits(s, n))
		return fail(err, errlen, "\"%s\" is not digits", key);
	memcpy(out, s, n + 1);
	return 0;
}

static int get_int(json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return fail(err, errlen, "no \"%s\"", key);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(err, errlen, "\"%s\" is not an integer in [%lld, %lld]", key, (long long)lo,
			    (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

int notify_event_parse(const char *line, size_t len, struct notify_event *e, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o, *v;
	int64_t n;
	int rc = -EINVAL;

	memset(e, 0, sizeof(*e));
	if (len > NOTIFY_LINE_MAX)
		return fail(err, errlen, "line of %zu octets (at most %d)", len, NOTIFY_LINE_MAX);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail(err, errlen, "not JSON: %s (column %d)", jerr.text, jerr.column);
	if (!json_is_object(o)) {
		fail(err, errlen, "not a JSON object");
		goto out;
	}
	if (get_int(o, "v", 1, 1, &n, err, errlen))
		goto out;
	v = json_object_get(o, "kind");
	if (!json_is_string(v) || notify_kind_parse(json_string_value(v), &e->kind)) {
		fail(err, errlen, "\"kind\" is not grace, reminder or cut-off");
		goto out;
	}
	if (get_str(o, "imei", e->imei, sizeof(e->imei), 14, true, true, err, errlen) ||
	    get_str(o, "imsi", e->imsi, sizeof(e->imsi), 5, true, false, err, errlen) ||
	    get_str(o, "msisdn", e->msisdn, sizeof(e->msisdn), 1, true, false, err, errlen) ||
	    get_str(o, "reason", e->reason, sizeof(e->reason), 0, false, false, err, errlen) ||
	    get_str(o, "source", e->source, sizeof(e->source), 0, false, false, err, errlen) ||
	    get_str(o, "iface", e->iface, sizeof(e->iface), 0, false, false, err, errlen) ||
	    get_str(o, "node", e->node, sizeof(e->node), 0, false, false, err, errlen))
		goto out;
	/* 1970-01-01 .. 9999-12-31 */
	if (get_int(o, "cutoff_day", 0, 2932896, &n, err, errlen))
		goto out;
	e->cutoff_day = (int32_t)n;
	if (get_int(o, "grace_end", 0, INT64_C(253402300799), &e->grace_end, err, errlen) ||
	    get_int(o, "t", 0, INT64_C(253402300799), &e->t, err, errlen) ||
	    get_int(o, "days", 0, 100000, &n, err, errlen))
		goto out;
	e->days = (int32_t)n;
	/* The date spelled out must be the day number's (a hand-edited
	 * file that changed one and not the other is refused). */
	v = json_object_get(o, "cutoff");
	if (v) {
		char date[11];

		notify_day_format(e->cutoff_day, date);
		if (!json_is_string(v) || strcmp(json_string_value(v), date)) {
			fail(err, errlen, "\"cutoff\" is not %s, the date of cutoff_day %d", date, e->cutoff_day);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(o);
	if (rc)
		memset(e, 0, sizeof(*e));
	return rc;
}

/* ------------------------------------------------------------ files */

static int sys_fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int sys_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		n = strlen(err);
		if (n + 3 < errlen)
			snprintf(err + n, errlen - n, ": %s", strerror(e));
	}
	return -e;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static bool valid_node(const char *node)
{
	if (!*node || strlen(node) > 63)
		return false;
	for (const char *p = node; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || (*p == '.' && p != node)))
			return false;
	return true;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w, n -= (size_t)w;
	}
	return 0;
}

int notify_spool_write(const char *dir, const char *node, const struct notify_event *ev, size_t n,
		       char *out_name, size_t out_len, char *err, size_t errlen)
{
	static unsigned seq;
	char name[160], tmp[4200], path[4200], stamp[32], *buf = NULL;
	size_t used = 0, cap = 0;
	struct tm tm;
	time_t now;
	int fd, rc;

	if (!n)
		return 0;
	if (!valid_node(node)) {
		fail(err, errlen, "node name '%s' is not letters, digits, '-', '_' and '.'", node);
		return -EINVAL;
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return sys_fail(err, errlen, errno, "spool %s: cannot create it", dir);
	for (size_t i = 0; i < n; i++) {
		int len;

		if (cap - used < NOTIFY_LINE_MAX + 2) {
			char *nb = realloc(buf, cap + 64 * (NOTIFY_LINE_MAX + 2));

			if (!nb) {
				free(buf);
				return sys_fail(err, errlen, ENOMEM, "spool %s", dir);
			}
			buf = nb, cap += 64 * (NOTIFY_LINE_MAX + 2);
		}
		len = notify_event_format(&ev[i], buf + used, cap - used - 1);
		if (len < 0) {
			free(buf);
			fail(err, errlen, "event %zu (IMEI %.14s): not representable", i, ev[i].imei);
			return -EINVAL;
		}
		used += (size_t)len;
		buf[used++] = '\n';
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, sizeof(name), "%s-%s-%ld-%u" SPOOL_EXT, node, stamp, (long)getpid(), seq++);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = sys_fail(err, errlen, errno, "spool %s: cannot create %s", dir, tmp);
		free(buf);
		return rc;
	}
	rc = write_all(fd, buf, used);
	free(buf);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return sys_fail(err, errlen, -rc, "spool %s: cannot write %s", dir, name);
	}
	rc = fsync_dir(dir);
	if (rc)
		return sys_fail(err, errlen, -rc, "spool %s: fsync of the directory", dir);
	if (out_name)
		snprintf(out_name, out_len, "%s", name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_spool_name(const char *n)
{
	size_t len = strlen(n), e = strlen(SPOOL_EXT);

	return n[0] != '.' && len > e && !strcmp(n + len - e, SPOOL_EXT);
}

/* The spool file names under dir (and one level of subdirectories), as
 * "name" or "sub/name", sorted. */
static int collect(const char *dir, const char *sub, char ***names, size_t *n, size_t *cap, char *err,
		   size_t errlen)
{
	char path[4200];
	DIR *d;
	struct dirent *de;

	if (sub)
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
	else
		snprintf(path, sizeof(path), "%s", dir);
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT && !sub)
			return 0;
		if (sub && (errno == ENOENT || errno == ENOTDIR))
			return 0;	/* gone meanwhile, or a file */
		return sys_fail(err, errlen, errno, "spool %s: cannot read it", path);
	}
	while ((de = readdir(d))) {
		char rel[600];
		struct stat st;
		char full[4800];

		if (de->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (is_spool_name(de->d_name)) {
			if (*n == SPOOL_MAX_FILES)
				break;
			if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 64;
				char **nn = realloc(*names, nc * sizeof(**names));

				if (!nn)
					break;
				*names = nn, *cap = nc;
			}
			snprintf(rel, sizeof(rel), "%s%s%s", sub ? sub : "", sub ? "/" : "", de->d_name);
			if (!((*names)[*n] = strdup(rel)))
				break;
			(*n)++;
		} else if (!sub && stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			int rc = collect(dir, de->d_name, names, n, cap, err, errlen);

			if (rc) {
				closedir(d);
				return rc;
			}
		}
	}
	closedir(d);
	return 0;
}

int notify_spool_list(const char *dir, size_t max, int (*fn)(void *ctx, const char *path), void *ctx,
		      char *err, size_t errlen)
{
	char **names = NULL, path[4800];
	size_t n = 0, cap = 0;
	int rc;

	rc = collect(dir, NULL, &names, &n, &cap, err, errlen);
	if (!rc) {
		if (n)
			qsort(names, n, sizeof(*names), cmp_str);
		for (size_t i = 0; i < n && (!max || i < max); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			rc = fn(ctx, path);
			if (rc)
				break;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int notify_spool_read(const char *path,
		      int (*fn)(void *ctx, const struct notify_event *e, unsigned line),
		      void (*bad)(void *ctx, unsigned line, const char *why), void *ctx,
		      char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[NOTIFY_LINE_MAX + 2], why[256];
	unsigned no = 0;
	int rc = 0;

	if (!f)
		return sys_fail(err, errlen, errno, "%s", path);
	/* Bounded: a longer line is skipped to its end and reported. */
	while (fgets(line, sizeof(line), f)) {
		struct notify_event e;
		size_t len = strlen(line);

		no++;
		if (len && line[len - 1] == '\n') {
			line[--len] = '\0';
		} else if (len == sizeof(line) - 1) {
			int c;

			while ((c = getc(f)) != EOF && c != '\n')
				;
			snprintf(why, sizeof(why), "line longer than %d octets", NOTIFY_LINE_MAX);
			if (bad)
				bad(ctx, no, why);
			continue;
		}
		if (!len)
			continue;
		if (notify_event_parse(line, len, &e, why, sizeof(why))) {
			if (bad)
				bad(ctx, no, why);
			continue;
		}
		rc = fn(ctx, &e, no);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = sys_fail(err, errlen, EIO, "%s: read error", path);
	fclose(f);
	return rc;
}
