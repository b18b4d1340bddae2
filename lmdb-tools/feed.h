/* Registry feeds for `eir-sync pull`: the index, the choice of files to
 * apply (the delta chain, or the newest full and its chain), fetching. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct feed_entry {
	bool delta;
	uint64_t seq, base;
	char name[256];		/* file name relative to the feed */
};

/* Parse an index ("full SEQ FILE" / "delta SEQ BASE FILE" lines, '#'
 * comments). Returns the entry count, or -1 with msg "index:LINE: why". */
int feed_parse_index(const char *text, struct feed_entry **entries, char *msg, size_t msgsz);

/* Choose what to apply, in order, given the database's seq (have_db false
 * for an empty database). Writes up to n indexes into plan; returns their
 * count (0: nothing newer to apply). */
size_t feed_plan(const struct feed_entry *e, size_t n, bool have_db, uint64_t cur_seq,
		 size_t *plan);

enum feed_kind { FEED_DIR, FEED_HTTP };

/* What FEED names: a directory (a path, or a file:///path URL: out gets
 * the path) or an http:// or https:// URL (out gets it as it is). -1 with
 * msg for any other scheme. */
int feed_resolve(const char *feed, char *out, size_t outsz, char *msg, size_t msgsz);

/* Make the index and files of FEED (a directory or an http(s) URL, as
 * feed_resolve gives it) reachable as local paths. fetch() returns a path
 * for name (the file itself for a directory, a download under tmpdir for a
 * URL, refused past max_bytes when that is not 0), or -1 with msg when
 * the feed does not have it or cannot be reached. */
int feed_fetch(const char *feed, const char *name, const char *tmpdir, uint64_t max_bytes, char *path,
	       size_t pathsz, char *msg, size_t msgsz);
