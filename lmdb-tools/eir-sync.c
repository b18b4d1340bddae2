/* eir-sync: keep the EIR database equal to the registry. Imports full and
 * delta snapshots atomically, follows a feed's delta chain, and records
 * every attempt so the NOC can see when data last changed and why not. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "feed.h"
#include "import.h"
#include "record.h"
#include "store.h"
#include "timefmt.h"

#include "config.h"
#define DEFAULT_DB EIR_DB_DIR
#define STATUS_FILE "sync-status"
/* Per file: the largest real registry has 2*10^8 rows; 32 GiB of text is
 * 170 bytes for each of them. */
#define DEFAULT_MAX_ROWS  200000000ULL
#define DEFAULT_MAX_BYTES (32ULL << 30)

/* Exit codes (documented in eir-sync(8) and --help). */
enum {
	EX_OK = 0,		/* applied, or nothing new to apply */
	EX_REFUSED = 1,		/* an input was refused: nothing of it was applied */
	EX_USAGE = 2,
	EX_FAILED = 3,		/* database, file system or network failure */
};

struct opts {
	const char *db;
	struct import_opts imp;
	bool quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: eir-sync [--db DIR] COMMAND [ARGS] [OPTIONS]\n"
		"Apply registry snapshots to an EIR database, atomically.\n\n"
		"Commands:\n"
		"  import FILE...   apply full or delta snapshots, DIRBS lists or first-seen\n"
		"                   files in order (plain, gzip, bzip2, xz, zstd or zip)\n"
		"  pull FEED        apply what a feed (directory, file:/// or http(s):// URL with\n"
		"                   an index) holds beyond the database: the delta chain from the\n"
		"                   current seq, or the newest full and its deltas when the chain\n"
		"                   is broken\n"
		"  status           current snapshot, imported first sightings, and the last\n"
		"                   attempt with its result\n\n"
		"Options:\n"
		"  -d, --db DIR           database directory (default " DEFAULT_DB ")\n"
		"      --max-shrink PCT   refuse a full snapshot that drops more than PCT percent\n"
		"                         of the records, e.g. 5 or 5%% (default 10)\n"
		"      --force            apply a full snapshot despite the shrink guard or an\n"
		"                         older seq\n"
		"      --max-errors N     skip up to N bad rows, each reported (default 0: refuse)\n"
		"      --max-rows N       refuse a file with more than N rows (default 200000000,\n"
		"                         0: no limit)\n"
		"      --max-bytes SIZE   refuse a file that expands to more than SIZE bytes; K, M,\n"
		"                         G, T suffixes (default 32G, 0: no limit)\n"
		"  -q, --quiet            only errors\n"
		"  -v, --verbose          more detail\n"
		"  -h, --help             this text\n"
		"  -V, --version          print the version\n\n"
		"Exit status: 0 applied or nothing new, 1 input refused (nothing of it applied),\n"
		"2 usage error, 3 database, file system or network failure (a missing database\n"
		"directory, another eir-sync running, a feed that cannot be reached).\n");
}

static int exit_of(enum import_status st)
{
	switch (st) {
	case IMPORT_APPLIED:
	case IMPORT_NOTHING:
		return EX_OK;
	case IMPORT_REFUSED:
		return EX_REFUSED;
	default:
		return EX_FAILED;
	}
}

static const char *status_word(enum import_status st)
{
	static const char *const w[] = { "applied", "nothing-new", "refused", "failed" };
	return (unsigned)st < 4 ? w[st] : "failed";
}

/* One line of the status file: a file name or a message may carry any
 * byte, but a newline must not start a line of its own (eird and
 * `eir-sync status` read the file line by line), so control characters
 * are written as '?'. */
static const char *one_line(const char *s, char *buf, size_t sz)
{
	size_t i = 0;

	for (; s[i] && i + 1 < sz; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* Record an attempt in DIR/sync-status (written whole, renamed into place). */
static void record_attempt(const struct opts *o, const char *what, enum import_status st,
			   const char *msg)
{
	char path[4096], tmp[4200], when[32], old[8192] = "", last_ok[64] = "-";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/" STATUS_FILE, o->db);
	f = fopen(path, "r");
	if (f) {
		n = fread(old, 1, sizeof(old) - 1, f);
		old[n] = '\0';
		fclose(f);
		char *p = strstr(old, "last-success: ");
		if (p)
			sscanf(p + 14, "%63s", last_ok);
	}
	eir_time_format((uint64_t)time(NULL), when, sizeof(when));
	if (st == IMPORT_APPLIED || st == IMPORT_NOTHING)
		snprintf(last_ok, sizeof(last_ok), "%s", when);
	mkdir(o->db, 0755);
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return;
	char cmd_line[4200], msg_line[4200];
	fprintf(f, "last-attempt: %s\nlast-command: %s\nlast-result: %s\nlast-message: %s\nlast-success: %s\n",
		when, one_line(what, cmd_line, sizeof(cmd_line)), status_word(st),
		one_line(msg, msg_line, sizeof(msg_line)), last_ok);
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

static enum import_status run_import(const struct opts *o, const char *file)
{
	struct import_result res;
	enum import_status st = import_file(o->db, file, &o->imp, &res);
	char what[4200];

	if (st == IMPORT_APPLIED || st == IMPORT_NOTHING) {
		if (!o->quiet)
			printf("%s%s\n", st == IMPORT_NOTHING ? "nothing to do: " : "", res.msg);
		if (o->imp.verbose && st == IMPORT_APPLIED) {
			struct rusage ru;
			getrusage(RUSAGE_SELF, &ru);
			printf("rows/s: %.0f\npeak-rss-kib: %ld\n",
			       (double)res.rows / (res.parse_s + res.write_s > 0 ? res.parse_s + res.write_s : 1),
			       ru.ru_maxrss);
		}
	} else {
		fprintf(stderr, "eir-sync: %s\n", res.msg);
	}
	snprintf(what, sizeof(what), "import %s", file);
	record_attempt(o, what, st, res.msg);
	return st;
}

/* One writer at a time, and the guards must see what it writes on: the
 * lock is taken before anything reads the database, and held to the end. */
static int lock_db(struct opts *o, const char *what)
{
	char err[1024];
	int rc = eir_store_lock(o->db, &o->imp.lock, err, sizeof(err));

	if (rc) {
		/* Not recorded in the status file: another run holds the
		 * database and writes its own result there. */
		fprintf(stderr, "eir-sync: %s\n", err);
		if (rc != -EBUSY && rc != -EWOULDBLOCK)
			record_attempt(o, what, IMPORT_FAILED, err);
		return EX_FAILED;
	}
	return EX_OK;
}

static void unlock_db(struct opts *o)
{
	eir_store_unlock(o->imp.lock);
	o->imp.lock = NULL;
}

static int cmd_import(struct opts *o, int n, char **files)
{
	char what[4200];
	int ex = EX_OK;

	snprintf(what, sizeof(what), "import %s%s", files[0], n > 1 ? " ..." : "");
	if (lock_db(o, what))
		return EX_FAILED;
	for (int i = 0; i < n; i++) {
		enum import_status st = run_import(o, files[i]);
		if (st == IMPORT_REFUSED || st == IMPORT_FAILED) {
			if (i + 1 < n)
				fprintf(stderr, "eir-sync: not applying the %d file%s after it\n",
					n - i - 1, n - i - 1 == 1 ? "" : "s");
			ex = exit_of(st);
			break;
		}
	}
	unlock_db(o);
	return ex;
}

/* A feed's index is a few lines per snapshot: far below this. */
#define INDEX_MAX_BYTES (64u << 20)

static char *slurp(const char *path, char *msg, size_t msgsz)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb || cap > INDEX_MAX_BYTES) {
				free(nb ? nb : buf);
				fclose(f);
				snprintf(msg, msgsz, "%s: too large", path);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int cmd_pull(struct opts *o, const char *arg)
{
	char feed[4096], tmpdir[4096], path[8192], msg[1024], what[4200];
	struct feed_entry *e = NULL;
	struct eir_meta m;
	size_t *plan = NULL, np;
	char *index;
	int n, rc, kind, ex = EX_OK;
	bool have_db;

	snprintf(what, sizeof(what), "pull %s", arg);
	kind = feed_resolve(arg, feed, sizeof(feed), msg, sizeof(msg));
	if (kind < 0) {
		fprintf(stderr, "eir-sync: %s\n", msg);
		return EX_USAGE;
	}
	if (lock_db(o, what))
		return EX_FAILED;
	snprintf(tmpdir, sizeof(tmpdir), "%s/.pull-XXXXXX", o->db);
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "eir-sync: %s: %s\n", tmpdir, strerror(errno));
		unlock_db(o);
		return EX_FAILED;
	}
	/* A feed that cannot be reached, whatever its kind, is exit 3. */
	if (feed_fetch(feed, "index", tmpdir, INDEX_MAX_BYTES, path, sizeof(path), msg, sizeof(msg))) {
		fprintf(stderr, "eir-sync: %s\n", msg);
		record_attempt(o, what, IMPORT_FAILED, msg);
		ex = EX_FAILED;
		goto out;
	}
	index = slurp(path, msg, sizeof(msg));
	if (!index) {
		fprintf(stderr, "eir-sync: %s\n", msg);
		record_attempt(o, what, IMPORT_FAILED, msg);
		ex = EX_FAILED;
		goto out;
	}
	n = feed_parse_index(index, &e, msg, sizeof(msg));
	free(index);
	if (n < 0) {
		fprintf(stderr, "eir-sync: %s: %s\n", feed, msg);
		record_attempt(o, what, IMPORT_REFUSED, msg);
		ex = EX_REFUSED;
		goto out;
	}
	rc = eir_store_read_meta(o->db, &m);
	if (rc && rc != -ENOENT) {
		fprintf(stderr, "eir-sync: %s: %s\n", o->db, strerror(-rc));
		ex = EX_FAILED;
		goto out;
	}
	have_db = rc == 0;
	plan = calloc((size_t)n + 1, sizeof(*plan));
	np = plan ? feed_plan(e, (size_t)n, have_db, have_db ? m.seq : 0, plan) : 0;
	if (!np) {
		snprintf(msg, sizeof(msg), "%s: nothing newer than seq %llu", feed,
			 (unsigned long long)(have_db ? m.seq : 0));
		if (!o->quiet)
			printf("nothing to do: %s\n", msg);
		record_attempt(o, what, IMPORT_NOTHING, msg);
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		const struct feed_entry *fe = &e[plan[i]];
		uint64_t seq, base;
		bool delta;

		if (feed_fetch(feed, fe->name, tmpdir, o->imp.max_bytes, path, sizeof(path), msg, sizeof(msg))) {
			fprintf(stderr, "eir-sync: %s\n", msg);
			record_attempt(o, what, IMPORT_FAILED, msg);
			ex = EX_FAILED;
			break;
		}
		/* The file must be what the index says it is. */
		if (import_peek(path, &seq, &base, &delta, msg, sizeof(msg)) ||
		    seq != fe->seq || delta != fe->delta || (delta && base != fe->base)) {
			char why[1300];
			snprintf(why, sizeof(why), "%s: header does not match the index entry (%s seq %llu)%s%s",
				 fe->name, fe->delta ? "delta" : "full", (unsigned long long)fe->seq,
				 msg[0] ? ": " : "", msg);
			fprintf(stderr, "eir-sync: %s\n", why);
			record_attempt(o, what, IMPORT_REFUSED, why);
			ex = EX_REFUSED;
			break;
		}
		enum import_status st = run_import(o, path);
		if (path[0] && kind == FEED_HTTP)
			unlink(path);
		if (st == IMPORT_REFUSED || st == IMPORT_FAILED) {
			ex = exit_of(st);
			break;
		}
		msg[0] = '\0';
	}
out:
	free(plan);
	free(e);
	/* Downloads are removed as they are applied; remove what is left. */
	if (kind == FEED_HTTP) {
		snprintf(path, sizeof(path), "%s/index", tmpdir);
		unlink(path);
	}
	rmdir(tmpdir);
	unlock_db(o);
	return ex;
}

static int cmd_status(const struct opts *o)
{
	char path[4096], when[32], buf[8192];
	struct eir_meta m;
	uint64_t total = 0;
	struct stat sb;
	int rc;
	FILE *f;

	rc = stat(o->db, &sb) < 0 ? errno : S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
	if (rc) {
		fprintf(stderr, "eir-sync: %s: %s\n", o->db,
			rc == ENOENT ? "no such database directory" : strerror(rc));
		return EX_FAILED;
	}
	rc = eir_store_read_meta(o->db, &m);
	printf("database: %s\n", o->db);
	if (rc == 0) {
		for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
			total += m.count[st];
		printf("seq: %llu\n", (unsigned long long)m.seq);
		printf("kind: %s\n", m.kind[0] ? m.kind : "-");
		printf("source: %s\n", m.source[0] ? m.source : "-");
		printf("created: %s\n", m.created ? eir_time_format(m.created, when, sizeof(when)) : "-");
		printf("imported: %s\n", m.imported ? eir_time_format(m.imported, when, sizeof(when)) : "-");
		printf("imeis: %llu\n", (unsigned long long)total);
		printf("ranges: %llu\n", (unsigned long long)m.ranges);
		/* The imported first sightings (first-seen files): not
		 * registry data, so not part of the snapshot above. */
		printf("first-seen: %llu\n", (unsigned long long)m.first_seen);
		printf("first-seen-imported: %s\n", m.first_seen_imported ?
		       eir_time_format(m.first_seen_imported, when, sizeof(when)) : "-");
		printf("first-seen-source: %s\n", m.first_seen_source[0] ? m.first_seen_source : "-");
	} else {
		printf("seq: -\n");
		printf("state: %s\n", rc == -ENOENT ? "empty (no snapshot applied yet)" : strerror(-rc));
	}
	snprintf(path, sizeof(path), "%s/" STATUS_FILE, o->db);
	f = fopen(path, "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		fputs(buf, stdout);
	} else {
		printf("last-attempt: -\n");
	}
	return rc == 0 || rc == -ENOENT ? EX_OK : EX_FAILED;
}

/* A size: digits and an optional K, M, G or T (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || s[0] == '-')
		return -1;
	if (*end && (u = strchr(units, *end & ~0x20)) != NULL) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_SHRINK = 256, OPT_FORCE, OPT_MAXERR, OPT_MAXROWS, OPT_MAXBYTES };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "max-shrink", required_argument, NULL, OPT_SHRINK },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "max-errors", required_argument, NULL, OPT_MAXERR },
		{ "max-rows", required_argument, NULL, OPT_MAXROWS },
		{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .db = DEFAULT_DB, .imp = { .max_shrink = 0.10, .max_rows = DEFAULT_MAX_ROWS,
						     .max_bytes = DEFAULT_MAX_BYTES } };
	const char *cmd;
	char *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "d:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case OPT_SHRINK:	/* percent, with or without the sign */
			o.imp.max_shrink = strtod(optarg, &end) / 100.0;
			if (*end == '%')
				end++;
			if (end == optarg || *end || !(o.imp.max_shrink >= 0 && o.imp.max_shrink <= 1)) {
				fprintf(stderr, "eir-sync: --max-shrink takes a percentage 0..100 (e.g. 5 or 5%%)\n");
				return EX_USAGE;
			}
			break;
		case OPT_FORCE: o.imp.force = true; break;
		case OPT_MAXERR:
			o.imp.max_errors = strtoul(optarg, &end, 10);
			if (*end || optarg[0] == '-') {
				fprintf(stderr, "eir-sync: --max-errors takes a count\n");
				return EX_USAGE;
			}
			break;
		case OPT_MAXROWS:
			errno = 0;
			o.imp.max_rows = strtoull(optarg, &end, 10);
			if (end == optarg || *end || errno || optarg[0] == '-') {
				fprintf(stderr, "eir-sync: --max-rows takes a count (0: no limit)\n");
				return EX_USAGE;
			}
			break;
		case OPT_MAXBYTES:
			if (parse_size(optarg, &o.imp.max_bytes)) {
				fprintf(stderr, "eir-sync: --max-bytes takes a size: digits with K, M, G or T (0: no limit)\n");
				return EX_USAGE;
			}
			break;
		case 'q': o.quiet = true; break;
		case 'v': o.imp.verbose = true; break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': printf("eir-sync %s\n", EIR_VERSION); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	o.imp.progress = !o.quiet && isatty(STDERR_FILENO);
	cmd = argv[optind];
	int nargs = argc - optind - 1;
	if (!strcmp(cmd, "import") && nargs >= 1)
		return cmd_import(&o, nargs, argv + optind + 1);
	if (!strcmp(cmd, "status") && nargs == 0)
		return cmd_status(&o);
	if (!strcmp(cmd, "pull") && nargs == 1) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = cmd_pull(&o, argv[optind + 1]);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "eir-sync: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return EX_USAGE;
}
