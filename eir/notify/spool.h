/* Notification events and the spool that carries them (docs/notify.md):
 * eird and eir-sync write events, eir-notify reads them and sends SMS.
 *
 * An event is one JSON object on one line. A spool file holds whole
 * lines only: it is written under a name starting with '.', fsync'd,
 * renamed to NODE-YYYYmmddTHHMMSSZ-PID-SEQ.jsonl and the directory
 * fsync'd, so a reader never sees a partial file. The reader takes the
 * files in name order (oldest first per node), one directory deep (a
 * subdirectory per node when spools are shipped to one place).
 *
 * The identity of an event is (imei, imsi, kind, cutoff date): eird never
 * writes the same one twice, eir-notify sends one SMS per identity
 * whichever spools it reaches it from. Pure except for the file I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum notify_kind {
	NOTIFY_GRACE = 0,	/* "grace": the pair's first grace verdict (or a DIRBS notification row) */
	NOTIFY_REMINDER,	/* "reminder": notify-reminder days before the cut-off */
	NOTIFY_CUTOFF,		/* "cut-off": the grace period ended, the device is cut off */
	NOTIFY_KIND_COUNT
};

#define NOTIFY_LINE_MAX 1024	/* a longer line is refused */

struct notify_event {
	enum notify_kind kind;
	char imei[15];		/* the 14 digits of the key */
	char imsi[16];		/* "" when the interface gave none (DIRBS rows always have one) */
	char msisdn[16];	/* "" when the interface gave none: eir-notify asks the subscriber map */
	int32_t cutoff_day;	/* the cut-off date: days since 1970-01-01, in the policy's time zone */
	int64_t grace_end;	/* the cut-off as unix seconds (the first second of cutoff_day there) */
	int32_t days;		/* whole days left when written (0 for cut-off) */
	char reason[64];	/* "unknown-imei", "registered" or DIRBS reasons ("|"-separated) */
	char source[16];	/* "eird" or "dirbs" */
	char iface[8];		/* "s13", "map", "n5g"; "" for DIRBS */
	char node[64];		/* the writer's node name (hostname by default) */
	int64_t t;		/* when it was written, unix seconds */
};

const char *notify_kind_name(enum notify_kind k);
/* 0, or -EINVAL for a name that is none of the three. */
int notify_kind_parse(const char *s, enum notify_kind *out);

/* The proleptic Gregorian date of a day number (any int32_t). */
void notify_day_civil(int32_t day, int *year, unsigned *month, unsigned *mday);
/* The cut-off date as "YYYY-MM-DD" (a proleptic Gregorian day number). */
void notify_day_format(int32_t day, char out[11]);
/* "YYYY-MM-DD" or "YYYYMMDD" to a day number: 0 or -EINVAL. */
int notify_day_parse(const char *s, int32_t *day);

/* One event as a JSON line without its newline: the length, or -ENOSPC
 * when buf (NOTIFY_LINE_MAX is always enough) is too small. */
int notify_event_format(const struct notify_event *e, char *buf, size_t len);
/* One line (without its newline): 0, or -EINVAL with the reason in err
 * (a field missing, of the wrong type or out of range; unknown fields
 * are ignored, so later versions may add some). */
int notify_event_parse(const char *line, size_t len, struct notify_event *e, char *err, size_t errlen);

/* Write n events as one spool file in dir (created if missing), named
 * after node: 0, or -errno with the reason in err; nothing is visible in
 * dir unless the whole file is. n == 0 writes nothing. When out_name is
 * not NULL it gets the file's name (without the directory). */
int notify_spool_write(const char *dir, const char *node, const struct notify_event *ev, size_t n,
		       char *out_name, size_t out_len, char *err, size_t errlen);

/* The spool's files in name order: dir's *.jsonl and those of its
 * subdirectories (one level; names starting with '.' are skipped). fn
 * gets each path (dir/name or dir/sub/name); a non-zero return stops the
 * walk and is returned. -errno (err says) when dir cannot be read; a
 * missing dir is an empty spool. At most max files per call (0: all). */
int notify_spool_list(const char *dir, size_t max, int (*fn)(void *ctx, const char *path), void *ctx,
		      char *err, size_t errlen);

/* Read a spool file line by line: fn gets each event with its line
 * number; a line that does not parse goes to bad (which may be NULL)
 * with its number and reason, and the walk goes on. -errno when the
 * file cannot be read; fn's non-zero return stops it. */
int notify_spool_read(const char *path,
		      int (*fn)(void *ctx, const struct notify_event *e, unsigned line),
		      void (*bad)(void *ctx, unsigned line, const char *why), void *ctx,
		      char *err, size_t errlen);
