/* eir-db: look inside an EIR database — one IMEI, an offline policy check,
 * snapshot identity and counts, a native-format dump, an integrity check —
 * and inside eird's observation store: the pairs of an IMEI or an IMSI,
 * its figures, and its exports (ours, DIRBS's, first sightings). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imei.h"
#include "obs_export.h"
#include "observed.h"
#include "policy.h"
#include "record.h"
#include "snapshot.h"
#include "store.h"
#include "timefmt.h"

#include "config.h"
#define DEFAULT_DB EIR_DB_DIR
#define DEFAULT_OBSERVED EIR_OBSERVED_DIR

/* Exit codes (documented in eir-db(1)). */
enum {
	EX_OK = 0,
	EX_NOTFOUND = 1,	/* get: no record; verify: problems found */
	EX_USAGE = 2,		/* bad command line, invalid IMEI/IMSI/TAC, bad policy file */
	EX_DB = 3,		/* database missing, unreadable, other schema */
	EX_OUTPUT = 4,		/* observed export: the output cannot be written */
};

struct opts {
	const char *db;
	bool db_given;
	const char *imsi;
	const char *policy_file;
	const char *tac;
	/* observed */
	const char *observed;
	const char *since, *until, *format, *output, *tz;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: eir-db [--db DIR] COMMAND [ARGS]\n"
		"Inspect an EIR database.\n\n"
		"Commands:\n"
		"  get IMEI                        the stored record, its pairs and covering range\n"
		"  check IMEI [--imsi IMSI] [--policy FILE]\n"
		"                                  the verdict and the policy branch that decided it\n"
		"  stat                            snapshot identity, counts per status, file size\n"
		"  dump [--tac TAC]                native snapshot rows (re-importable with eir-sync)\n"
		"  verify                          schema, key order, record and count sanity\n"
		"  observed get IMEI               the pairs eird saw the IMEI in, its first sighting\n"
		"  observed get --imsi IMSI        the pairs of one IMSI\n"
		"  observed stat                   the observation store's figures\n"
		"  observed export --since DATE [--until DATE] --format dirbs|csv|first-seen [-o FILE]\n"
		"                                  the pairs seen in a window\n\n"
		"Options:\n"
		"  -d, --db DIR       database directory (default " DEFAULT_DB ")\n"
		"  -i, --imsi IMSI    subscriber for check (pairing) and observed get\n"
		"  -p, --policy FILE  policy settings (eird.cfg or bare policy lines)\n"
		"  -t, --tac TAC      dump only this 8-digit TAC\n"
		"      --observed DIR observation store (default " DEFAULT_OBSERVED ")\n"
		"      --since DATE   export from: YYYY-MM-DD (the whole day) or YYYY-MM-DDTHH:MM:SSZ\n"
		"      --until DATE   export to, inclusive (default now; a date: to its end)\n"
		"      --tz OFFSET    the days of DATE and of a DIRBS dump: UTC (default),\n"
		"                     UTC+HH:MM, UTC-HH:MM, +HH:MM or -HH:MM\n"
		"  -f, --format F     export format: dirbs, csv or first-seen\n"
		"  -o, --output FILE  export to FILE (written atomically; .zip: zipped); default stdout\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n\n"
		"Exit status: 0 success, 1 not found (get, observed get) or problems (verify),\n"
		"2 usage error or invalid input, 3 database or observation store error,\n"
		"4 the export cannot be written.\n");
}

static int open_db(const struct opts *o, struct eir_store **s)
{
	char err[512] = "";
	int rc = eir_store_open(s, o->db, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "eir-db: %s\n", err[0] ? err : strerror(-rc));
		return EX_DB;
	}
	return EX_OK;
}

static int parse_imei_arg(const char *arg, unsigned flags, struct eir_imei *imei)
{
	int rc = eir_imei_parse(arg, strlen(arg), flags | EIR_IMEI_ALLOW_PEI, imei);

	if (rc)
		fprintf(stderr, "eir-db: invalid IMEI '%s': %s\n", arg, eir_imei_strerror(rc));
	return rc;
}

static void print_record(struct eir_store *s, const struct eir_record *rec)
{
	char reason[64], when[32];

	eir_store_reason_name(s, rec->reason, reason, sizeof(reason));
	printf("status: %s\n", eir_status_name(rec->status));
	printf("reason: %s\n", reason[0] ? reason : "-");
	printf("valid-until: %s\n", rec->valid_until ?
	       eir_time_format(rec->valid_until, when, sizeof(when)) : "-");
}

static int cmd_get(const struct opts *o, const char *arg)
{
	struct eir_imei imei;
	struct eir_record rec, rrec;
	struct eir_store *s;
	uint64_t first, last, imsis[EIR_MAX_PAIRS];
	char digits[EIR_IMEI_DIGITS + 2], imsi[16];
	int rc, rrc, ex;

	if (parse_imei_arg(arg, EIR_IMEI_ALLOW_SPARE0, &imei))
		return EX_USAGE;
	ex = open_db(o, &s);
	if (ex)
		return ex;
	eir_imei_format_cd(imei.key, digits);
	printf("imei: %.14s\n", digits);
	printf("check-digit: %c\n", digits[14]);
	if (imei.svn >= 0)
		printf("svn: %02d\n", imei.svn);
	rc = eir_store_get(s, imei.key, &rec);
	if (rc == 0) {
		printf("record: exact\n");
		print_record(s, &rec);
		printf("locked-to-pairs: %s\n", (rec.flags & EIR_REC_LOCKED) ? "yes" : "no");
		int n = eir_store_get_pairs(s, imei.key, imsis, EIR_MAX_PAIRS);
		printf("pairs:");
		for (int i = 0; i < n; i++) {
			eir_imsi_format(imsis[i], imsi);
			printf("%s%s", i ? ";" : " ", imsi);
		}
		printf("%s\n", n > 0 ? "" : " -");
	} else if (rc == -ENOENT) {
		printf("record: none\n");
	} else {
		fprintf(stderr, "eir-db: reading %s: %s\n", digits, strerror(-rc));
		eir_store_close(s);
		return EX_DB;
	}
	rrc = eir_store_find_range(s, imei.key, &first, &last, &rrec);
	if (rrc == 0) {
		char reason[64];
		eir_store_reason_name(s, rrec.reason, reason, sizeof(reason));
		printf("range: %014llu-%014llu %s%s%s\n", (unsigned long long)first,
		       (unsigned long long)last, eir_status_name(rrec.status),
		       reason[0] ? " " : "", reason);
	} else if (rrc == -ENOENT) {
		printf("range: -\n");
	} else {
		fprintf(stderr, "eir-db: reading ranges: %s\n", strerror(-rrc));
		eir_store_close(s);
		return EX_DB;
	}
	eir_store_close(s);
	return (rc == 0 || rrc == 0) ? EX_OK : EX_NOTFOUND;
}

/* eir_query.first_seen from an observation store (eir-db check). */
static int obs_first_seen(void *ctx, uint64_t imei, uint32_t *first)
{
	struct eir_obs_imei oi;
	int rc = eir_obs_get_imei(ctx, imei, &oi);

	if (!rc)
		*first = oi.first_seen;
	return rc;
}

static int cmd_check(const struct opts *o, const char *arg)
{
	struct eir_obs_db *obs = NULL;
	char obs_err[512];
	struct eir_policy pol;
	struct eir_query q = { 0 };
	struct eir_result res;
	struct eir_store *s;
	char reason[64], digits[EIR_IMEI_DIGITS + 1];
	int ex;

	eir_policy_defaults(&pol);
	if (o->policy_file) {
		char err[512];
		if (eir_policy_load(o->policy_file, &pol, err, sizeof(err))) {
			fprintf(stderr, "eir-db: %s\n", err);
			return EX_USAGE;
		}
	}
	if (o->imsi && eir_imsi_parse(o->imsi, strlen(o->imsi), &q.imsi)) {
		fprintf(stderr, "eir-db: invalid IMSI '%s': expected 6 to 15 digits\n", o->imsi);
		return EX_USAGE;
	}
	q.imei_err = eir_imei_parse(arg, strlen(arg), pol.imei_flags | EIR_IMEI_ALLOW_PEI, &q.imei);
	ex = open_db(o, &s);
	if (ex)
		return ex;
	/* The grace period counts from this node's sightings too, as eird's
	 * does, when its observation store is there. */
	if (eir_obs_open(&obs, o->observed, false, 0, obs_err, sizeof(obs_err)) == 0) {
		q.first_seen = obs_first_seen;
		q.first_seen_ctx = obs;
	}
	eir_check(s, &pol, &q, eir_now(), &res);
	if (q.imei_err) {
		printf("imei: %s\n", arg);
		printf("imei-error: %s\n", eir_imei_strerror(q.imei_err));
	} else {
		eir_imei_format(q.imei.key, digits);
		printf("imei: %s\n", digits);
	}
	if (o->imsi)
		printf("imsi: %s\n", o->imsi);
	printf("verdict: %s\n", eir_verdict_name(res.verdict));
	if (res.monitored)
		printf("decided: %s (mode monitor)\n", eir_verdict_name(res.decided));
	printf("branch: %s\n", eir_branch_name(res.branch));
	if (res.grace) {
		char t[32];
		printf("first-seen: %s%s\n", res.first_sighting ? "now" : eir_time_format(res.first_seen, t, sizeof(t)),
		       obs ? "" : " (imported sightings only: no observation store)");
		printf("grace-end: %s\n", eir_time_format(res.grace_end, t, sizeof(t)));
	}
	if (res.status != EIR_STATUS_NONE) {
		eir_store_reason_name(s, res.reason, reason, sizeof(reason));
		printf("status: %s\n", eir_status_name(res.status));
		printf("reason: %s\n", reason[0] ? reason : "-");
	}
	if (res.branch == EIR_BR_FAILURE)
		printf("store-error: %s\n", strerror(-res.store_err));
	if (obs)
		eir_obs_close(obs);
	eir_store_close(s);
	/* The verdict above is what eird answers for it; the exit status says
	 * that the IMEI itself is invalid (eir-db(1)). */
	if (q.imei_err) {
		fprintf(stderr, "eir-db: invalid IMEI '%s': %s\n", arg, eir_imei_strerror(q.imei_err));
		return EX_USAGE;
	}
	return EX_OK;
}

static int cmd_stat(const struct opts *o)
{
	struct eir_store *s;
	struct eir_meta m;
	char when[32];
	uint64_t total = 0;
	int rc, ex = open_db(o, &s);

	if (ex)
		return ex;
	rc = eir_store_get_meta(s, &m);
	if (rc) {
		fprintf(stderr, "eir-db: reading meta: %s\n", strerror(-rc));
		eir_store_close(s);
		return EX_DB;
	}
	printf("database: %s\n", o->db);
	printf("generation: %s\n", eir_store_path(s));
	printf("schema: %llu\n", (unsigned long long)m.schema);
	printf("snapshot-kind: %s\n", m.kind[0] ? m.kind : "-");
	printf("snapshot-seq: %llu\n", (unsigned long long)m.seq);
	printf("snapshot-source: %s\n", m.source[0] ? m.source : "-");
	printf("snapshot-created: %s\n", m.created ? eir_time_format(m.created, when, sizeof(when)) : "-");
	printf("imported: %s\n", m.imported ? eir_time_format(m.imported, when, sizeof(when)) : "-");
	if (m.created)
		printf("age-seconds: %lld\n", (long long)(time(NULL) - (time_t)m.created));
	printf("file-size: %llu\n", (unsigned long long)eir_store_file_size(s));
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
		total += m.count[st];
	printf("imeis: %llu\n", (unsigned long long)total);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
		printf("imeis-%s: %llu\n", eir_status_name(st), (unsigned long long)m.count[st]);
	printf("ranges: %llu\n", (unsigned long long)m.ranges);
	printf("paired-imeis: %llu\n", (unsigned long long)m.paired_imeis);
	printf("first-seen: %llu\n", (unsigned long long)m.first_seen);
	eir_store_close(s);
	return EX_OK;
}

struct dump_ctx {
	struct eir_store *s;
	uint64_t rows;
};

static void dump_fields(struct dump_ctx *d, const struct eir_record *rec)
{
	char reason[64], when[32];

	eir_store_reason_name(d->s, rec->reason, reason, sizeof(reason));
	printf(",%s,%s,%s,", eir_status_name(rec->status), reason,
	       rec->valid_until ? eir_time_format(rec->valid_until, when, sizeof(when)) : "");
}

static int dump_range(void *ctx, uint64_t first, uint64_t last, const struct eir_record *rec)
{
	struct dump_ctx *d = ctx;

	if (first % 1000000 == 0 && last == first + 999999)
		printf("%08llu", (unsigned long long)(first / 1000000));
	else
		printf("%014llu-%014llu", (unsigned long long)first, (unsigned long long)last);
	dump_fields(d, rec);
	printf("\n");
	d->rows++;
	return 0;
}

static int dump_imei(void *ctx, uint64_t imei, const struct eir_record *rec,
		     const uint64_t *imsis, size_t n)
{
	struct dump_ctx *d = ctx;
	char imsi[16];

	printf("%014llu", (unsigned long long)imei);
	dump_fields(d, rec);
	if (rec->flags & EIR_REC_LOCKED)
		printf("lock:");
	for (size_t i = 0; i < n; i++) {
		eir_imsi_format(imsis[i], imsi);
		printf("%s%s", i ? ";" : "", imsi);
	}
	printf("\n");
	d->rows++;
	return 0;
}

static int cmd_dump(const struct opts *o)
{
	struct dump_ctx d = { 0 };
	struct eir_meta m;
	uint64_t first = 0, last = EIR_IMEI_MAX;
	int rc, ex;

	if (o->tac) {
		if (strlen(o->tac) != EIR_TAC_DIGITS || strspn(o->tac, "0123456789") != EIR_TAC_DIGITS) {
			fprintf(stderr, "eir-db: invalid TAC '%s': expected 8 digits\n", o->tac);
			return EX_USAGE;
		}
		first = strtoull(o->tac, NULL, 10) * 1000000;
		last = first + 999999;
	}
	ex = open_db(o, &d.s);
	if (ex)
		return ex;
	rc = eir_store_get_meta(d.s, &m);
	if (!rc) {
		struct eir_snap_header h = { .kind = EIR_SNAP_FULL, .seq = m.seq,
					     .created = m.created ? m.created : (uint64_t)time(NULL) };
		char hdr[512];

		snprintf(h.source, sizeof(h.source), "%s", m.source[0] ? m.source : "eir-db");
		rc = eir_snap_format_header(&h, hdr, sizeof(hdr));
		if (rc > 0)
			rc = fputs(hdr, stdout) < 0 ? -EIO : 0;
	}
	if (!rc)
		rc = eir_store_walk_range(d.s, first, last, dump_range, &d);
	if (!rc)
		rc = eir_store_walk_imei(d.s, first, last, dump_imei, &d);
	if (rc) {
		fprintf(stderr, "eir-db: dump: %s\n", strerror(-rc));
		eir_store_close(d.s);
		return EX_DB;
	}
	printf("# end rows=%llu\n", (unsigned long long)d.rows);
	eir_store_close(d.s);
	return fflush(stdout) == 0 ? EX_OK : EX_DB;
}

static void print_problem(void *ctx, const char *msg)
{
	(void)ctx;
	printf("problem: %s\n", msg);
}

static int cmd_verify(const struct opts *o)
{
	struct eir_store *s;
	struct eir_meta m;
	uint64_t total = 0;
	int rc, ex = open_db(o, &s);

	if (ex)
		return ex;
	rc = eir_store_verify(s, print_problem, NULL, 100);
	if (rc < 0) {
		fprintf(stderr, "eir-db: verify: %s\n", strerror(-rc));
		eir_store_close(s);
		return EX_DB;
	}
	eir_store_get_meta(s, &m);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
		total += m.count[st];
	if (rc)
		printf("verify: %d problem%s in %s\n", rc, rc == 1 ? "" : "s", eir_store_path(s));
	else
		printf("verify: ok, schema %llu, %llu IMEIs, %llu ranges, %llu paired IMEIs\n",
		       (unsigned long long)m.schema, (unsigned long long)total,
		       (unsigned long long)m.ranges, (unsigned long long)m.paired_imeis);
	eir_store_close(s);
	return rc ? EX_NOTFOUND : EX_OK;
}

/* ------------------------------------------------------------- observed */

static int open_observed(const struct opts *o, struct eir_obs_db **db)
{
	char err[512] = "";
	int rc = eir_obs_open(db, o->observed, false, 0, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "eir-db: %s\n", err[0] ? err : strerror(-rc));
		return EX_DB;
	}
	return EX_OK;
}

static const char *obs_time(uint32_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		return "-";
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const char *const obs_iface_names[EIR_OBS_IF_COUNT] = { "-", "s13", "map", "n5g" };

struct obs_get_ctx {
	bool by_imsi;		/* the first column is the IMEI */
	uint64_t only_imsi;	/* get IMEI --imsi IMSI: that pair only */
	bool filter;
	unsigned rows;
};

static void obs_table_header(bool by_imsi)
{
	printf("%-15s %-15s %-20s %-20s %10s %-9s %-11s %-11s %-16s %s\n", by_imsi ? "imei" : "imsi",
	       "msisdn", "first-seen", "last-seen", "count", "interface", "verdict", "would", "branch", "svn");
}

static int obs_table_row(void *ctx, const struct eir_obs *p)
{
	struct obs_get_ctx *g = ctx;
	char id[16], msisdn[16], first[32], last[32], svn[8];

	if (g->filter && p->imsi != g->only_imsi)
		return 0;
	if (g->by_imsi)
		eir_imei_format(p->imei, id);
	else if (p->imsi)
		eir_imsi_format(p->imsi, id);
	else
		snprintf(id, sizeof(id), "-");
	if (p->msisdn)
		eir_imsi_format(p->msisdn, msisdn);
	else
		snprintf(msisdn, sizeof(msisdn), "-");
	if (p->svn <= 99)
		snprintf(svn, sizeof(svn), "%02u", p->svn);
	else
		snprintf(svn, sizeof(svn), "-");
	printf("%-15s %-15s %-20s %-20s %10u %-9s %-11s %-11s %-16s %s\n", id, msisdn,
	       obs_time(p->first_seen, first), obs_time(p->last_seen, last), p->count,
	       p->iface < EIR_OBS_IF_COUNT ? obs_iface_names[p->iface] : "?",
	       eir_verdict_name(p->verdict), eir_verdict_name(p->would), eir_branch_name(p->branch), svn);
	g->rows++;
	return 0;
}

/* The registry's network-wide first sighting, when --db holds a registry:
 * 0 and *first, -ENOENT (none, or no registry), or an error (reported
 * when --db was given). */
static int network_first_seen(const struct opts *o, uint64_t imei, uint32_t *first)
{
	struct eir_store *s;
	char err[512] = "";
	int rc = eir_store_open(&s, o->db, err, sizeof(err));

	if (rc) {
		if (o->db_given || rc != -ENOENT)
			fprintf(stderr, "eir-db: network first sighting unknown: %s\n", err[0] ? err : strerror(-rc));
		return -ENOENT;
	}
	rc = eir_store_get_first_seen(s, imei, first);
	if (rc && rc != -ENOENT)
		fprintf(stderr, "eir-db: reading the network first sighting: %s\n", strerror(-rc));
	eir_store_close(s);
	return rc;
}

static int cmd_observed_get_imei(const struct opts *o, const char *arg)
{
	struct obs_get_ctx g = { 0 };
	struct eir_obs_imei i;
	struct eir_obs_db *db;
	struct eir_imei imei;
	char digits[EIR_IMEI_DIGITS + 2], t[32];
	uint32_t net = 0, first = 0;
	int rc, ex;

	if (parse_imei_arg(arg, EIR_IMEI_ALLOW_SPARE0, &imei))
		return EX_USAGE;
	if (o->imsi) {
		if (eir_imsi_parse(o->imsi, strlen(o->imsi), &g.only_imsi)) {
			fprintf(stderr, "eir-db: invalid IMSI '%s': expected 6 to 15 digits\n", o->imsi);
			return EX_USAGE;
		}
		g.filter = true;
	}
	ex = open_observed(o, &db);
	if (ex)
		return ex;
	rc = eir_obs_get_imei(db, imei.key, &i);
	if (rc && rc != -ENOENT) {
		fprintf(stderr, "eir-db: reading %s: %s\n", o->observed, strerror(-rc));
		eir_obs_close(db);
		return EX_DB;
	}
	eir_imei_format_cd(imei.key, digits);
	printf("imei: %.14s\n", digits);
	printf("check-digit: %c\n", digits[14]);
	if (imei.svn >= 0)
		printf("svn: %02d\n", imei.svn);
	printf("observed: %s\n", rc ? "no" : "yes");
	if (!rc) {
		printf("observed-first-seen: %s\n", obs_time(i.first_seen, t));
		printf("observed-last-seen: %s\n", obs_time(i.last_seen, t));
		printf("observed-pairs: %u\n", i.pairs);
		first = i.first_seen;
	}
	if (network_first_seen(o, imei.key, &net) == 0 && net) {
		printf("network-first-seen: %s\n", obs_time(net, t));
		if (!first || net < first)
			first = net;
	} else {
		printf("network-first-seen: -\n");
	}
	printf("first-seen: %s\n", obs_time(first, t));
	if (rc) {
		eir_obs_close(db);
		return EX_NOTFOUND;
	}
	printf("\n");
	obs_table_header(false);
	rc = eir_obs_walk_imei(db, imei.key, obs_table_row, &g);
	eir_obs_close(db);
	if (rc) {
		fprintf(stderr, "eir-db: reading %s: %s\n", o->observed, strerror(-rc));
		return EX_DB;
	}
	return g.filter && !g.rows ? EX_NOTFOUND : EX_OK;
}

static int cmd_observed_get_imsi(const struct opts *o)
{
	struct obs_get_ctx g = { .by_imsi = true };
	struct eir_obs_db *db;
	uint64_t imsi;
	char s[16];
	int rc, ex;

	if (eir_imsi_parse(o->imsi, strlen(o->imsi), &imsi)) {
		fprintf(stderr, "eir-db: invalid IMSI '%s': expected 6 to 15 digits\n", o->imsi);
		return EX_USAGE;
	}
	ex = open_observed(o, &db);
	if (ex)
		return ex;
	eir_imsi_format(imsi, s);
	printf("imsi: %s\n\n", s);
	obs_table_header(true);
	rc = eir_obs_walk_imsi(db, imsi, obs_table_row, &g);
	eir_obs_close(db);
	if (rc) {
		fprintf(stderr, "eir-db: reading %s: %s\n", o->observed, strerror(-rc));
		return EX_DB;
	}
	return g.rows ? EX_OK : EX_NOTFOUND;
}

static int cmd_observed_stat(const struct opts *o)
{
	struct eir_obs_stat st;
	struct eir_obs_db *db;
	char t[32];
	int rc, ex = open_observed(o, &db);

	if (ex)
		return ex;
	rc = eir_obs_stat(db, &st);
	eir_obs_close(db);
	if (rc) {
		fprintf(stderr, "eir-db: reading %s: %s\n", o->observed, strerror(-rc));
		return EX_DB;
	}
	printf("observed: %s\n", o->observed);
	printf("schema: %d\n", EIR_OBS_SCHEMA_VERSION);
	printf("created: %s\n", obs_time((uint32_t)st.created, t));
	printf("pairs: %llu\n", (unsigned long long)st.pairs);
	printf("imeis: %llu\n", (unsigned long long)st.imeis);
	printf("imsis: %llu\n", (unsigned long long)st.imsis);
	printf("oldest-seen: %s\n", obs_time(st.oldest_seen, t));
	printf("newest-seen: %s\n", obs_time(st.newest_seen, t));
	printf("expired: %llu\n", (unsigned long long)st.expired);
	printf("file-bytes: %llu\n", (unsigned long long)st.file_bytes);
	printf("used-bytes: %llu\n", (unsigned long long)st.used_bytes);
	printf("map-bytes: %llu\n", (unsigned long long)st.map_bytes);
	printf("map-used-percent: %.1f\n", st.map_bytes ? 100.0 * (double)st.used_bytes / (double)st.map_bytes : 0.0);
	if (st.pairs)
		printf("bytes-per-pair: %.1f\n", (double)st.used_bytes / (double)st.pairs);
	else
		printf("bytes-per-pair: -\n");
	return EX_OK;
}

/* DIRBS refuses a dump in which more rows than its thresholds (0.05 by
 * default) lack a column: say so rather than let the import fail later. */
static void dirbs_notes(const struct obs_export_counts *c)
{
	static const struct { const char *col, *option; } cols[] = {
		{ "IMSI", "raise null_imsi_threshold" },
		{ "MSISDN", "import with --disable-msisdn-import or raise null_msisdn_threshold" },
		{ "RAT", "import with --disable-rat-import or raise null_rat_threshold" },
	};
	const uint64_t nulls[] = { c->null_imsi, c->null_msisdn, c->null_rat };

	if (c->spanning)
		fprintf(stderr, "eir-db: %llu pairs seen before and after the window, with no sighting known in it: no row\n",
			(unsigned long long)c->spanning);
	if (c->imsi_less)
		fprintf(stderr, "eir-db: %llu pairs without an IMSI whose IMEI has rows with one: no row\n",
			(unsigned long long)c->imsi_less);
	if (c->bad_date)
		fprintf(stderr, "eir-db: %llu rows dated outside 2000-2099, which DIRBS refuses: not written\n",
			(unsigned long long)c->bad_date);
	for (size_t i = 0; i < 3 && c->rows; i++) {
		if (nulls[i] * 20 > c->rows)
			fprintf(stderr, "eir-db: note: %.1f%% of the rows have no %s, above DIRBS's default"
				" threshold of 5%%: %s\n", 100.0 * (double)nulls[i] / (double)c->rows,
				cols[i].col, cols[i].option);
	}
}

static int cmd_observed_export(const struct opts *o)
{
	struct obs_export_opts eo = { 0 };
	struct obs_export_counts counts;
	struct obs_output out;
	struct eir_obs_db *db;
	char err[1024] = "";
	int rc, ex;

	if (!o->since || !o->format) {
		fprintf(stderr, "eir-db: observed export needs --since DATE and --format dirbs|csv|first-seen\n");
		return EX_USAGE;
	}
	if (obs_export_format_parse(o->format, &eo.format)) {
		fprintf(stderr, "eir-db: unknown --format '%s': dirbs, csv or first-seen\n", o->format);
		return EX_USAGE;
	}
	if (o->tz) {
		int off;

		/* The words of the policy's time-zone. */
		if (eir_tz_parse(o->tz, &off)) {
			fprintf(stderr, "eir-db: invalid --tz '%s': UTC, UTC+HH:MM, UTC-HH:MM, +HH:MM or -HH:MM"
				" (up to 14:00)\n", o->tz);
			return EX_USAGE;
		}
		eo.tz = off;
	}
	if (obs_time_parse(o->since, eo.tz, false, &eo.since)) {
		fprintf(stderr, "eir-db: invalid --since '%s': YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n", o->since);
		return EX_USAGE;
	}
	if (o->until && obs_time_parse(o->until, eo.tz, true, &eo.until)) {
		fprintf(stderr, "eir-db: invalid --until '%s': YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n", o->until);
		return EX_USAGE;
	}
	if (!o->until)
		eo.until = (uint32_t)time(NULL);
	if (eo.since > eo.until) {
		fprintf(stderr, "eir-db: --since %s is after --until %s\n", o->since, o->until ? o->until : "(now)");
		return EX_USAGE;
	}
	if (eo.format == OBS_EXPORT_DIRBS && o->output && strlen(o->output) > 4 &&
	    !strcmp(o->output + strlen(o->output) - 4, ".zip") &&
	    obs_dirbs_name_check(o->output, &eo, err, sizeof(err))) {
		fprintf(stderr, "eir-db: %s\n", err);
		return EX_USAGE;
	}
	ex = open_observed(o, &db);
	if (ex)
		return ex;
	rc = obs_output_open(&out, o->output, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eir-db: %s\n", err[0] ? err : strerror(-rc));
		eir_obs_close(db);
		return EX_OUTPUT;
	}
	rc = obs_export(db, &eo, out.f, &counts);
	eir_obs_close(db);
	if (rc) {
		obs_output_abort(&out);
		if (rc == -EIO) {
			fprintf(stderr, "eir-db: writing %s failed\n", o->output ? o->output : "standard output");
			return EX_OUTPUT;
		}
		fprintf(stderr, "eir-db: reading %s: %s\n", o->observed, strerror(-rc));
		return EX_DB;
	}
	rc = obs_output_commit(&out, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eir-db: %s\n", err);
		return EX_OUTPUT;
	}
	if (eo.format == OBS_EXPORT_DIRBS)
		dirbs_notes(&counts);
	if (counts.bad_time)
		fprintf(stderr, "eir-db: %llu IMEIs first seen at the epoch or more than a day from now"
			" (is this node's clock right?): not written\n", (unsigned long long)counts.bad_time);
	return EX_OK;
}

/* eir-db observed get|stat|export: args are the words after "observed". */
static int cmd_observed(const struct opts *o, char **args, int n)
{
	bool export_opts = o->since || o->until || o->format || o->output || o->tz;
	const char *sub = n ? args[0] : "";

	if (strcmp(sub, "export") && export_opts) {
		fprintf(stderr, "eir-db: --since, --until, --tz, --format and --output are for observed export\n");
		return EX_USAGE;
	}
	if (!strcmp(sub, "get") && n == 2)
		return cmd_observed_get_imei(o, args[1]);
	if (!strcmp(sub, "get") && n == 1 && o->imsi)
		return cmd_observed_get_imsi(o);
	if (!strcmp(sub, "stat") && n == 1)
		return cmd_observed_stat(o);
	if (!strcmp(sub, "export") && n == 1)
		return cmd_observed_export(o);
	fprintf(stderr, "eir-db: unknown observed command or wrong arguments: observed%s%s\n",
		n ? " " : "", sub);
	usage(stderr);
	return EX_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "imsi", required_argument, NULL, 'i' },
		{ "policy", required_argument, NULL, 'p' },
		{ "tac", required_argument, NULL, 't' },
		{ "observed", required_argument, NULL, 'O' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "tz", required_argument, NULL, 'z' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .db = DEFAULT_DB, .observed = DEFAULT_OBSERVED };
	const char *cmd;
	int c, nargs;

	while ((c = getopt_long(argc, argv, "d:i:p:t:f:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg, o.db_given = true; break;
		case 'i': o.imsi = optarg; break;
		case 'p': o.policy_file = optarg; break;
		case 't': o.tac = optarg; break;
		case 'O': o.observed = optarg; break;
		case 'S': o.since = optarg; break;
		case 'U': o.until = optarg; break;
		case 'z': o.tz = optarg; break;
		case 'f': o.format = optarg; break;
		case 'o': o.output = optarg; break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': printf("eir-db %s\n", EIR_VERSION); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind];
	nargs = argc - optind - 1;
	if (!strcmp(cmd, "get") && nargs == 1)
		return cmd_get(&o, argv[optind + 1]);
	if (!strcmp(cmd, "check") && nargs == 1)
		return cmd_check(&o, argv[optind + 1]);
	if (!strcmp(cmd, "stat") && nargs == 0)
		return cmd_stat(&o);
	if (!strcmp(cmd, "dump") && nargs == 0)
		return cmd_dump(&o);
	if (!strcmp(cmd, "verify") && nargs == 0)
		return cmd_verify(&o);
	if (!strcmp(cmd, "observed"))
		return cmd_observed(&o, argv + optind + 1, nargs);
	fprintf(stderr, "eir-db: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return EX_USAGE;
}
