/* eir-db: look inside an EIR database — one IMEI, an offline policy check,
 * snapshot identity and counts, a native-format dump, an integrity check. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imei.h"
#include "policy.h"
#include "record.h"
#include "snapshot.h"
#include "store.h"
#include "timefmt.h"

#include "config.h"
#define DEFAULT_DB EIR_DB_DIR

/* Exit codes (documented in eir-db(1)). */
enum {
	EX_OK = 0,
	EX_NOTFOUND = 1,	/* get: no record; verify: problems found */
	EX_USAGE = 2,		/* bad command line, invalid IMEI/IMSI/TAC, bad policy file */
	EX_DB = 3,		/* database missing, unreadable, other schema */
};

struct opts {
	const char *db;
	const char *imsi;
	const char *policy_file;
	const char *tac;
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
		"  verify                          schema, key order, record and count sanity\n\n"
		"Options:\n"
		"  -d, --db DIR       database directory (default " DEFAULT_DB ")\n"
		"  -i, --imsi IMSI    subscriber for check (pairing)\n"
		"  -p, --policy FILE  policy settings (eird.cfg or bare policy lines)\n"
		"  -t, --tac TAC      dump only this 8-digit TAC\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n\n"
		"Exit status: 0 success, 1 not found (get) or problems (verify),\n"
		"2 usage error or invalid input, 3 database error.\n");
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

static int cmd_check(const struct opts *o, const char *arg)
{
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
	printf("branch: %s\n", eir_branch_name(res.branch));
	if (res.status != EIR_STATUS_NONE) {
		eir_store_reason_name(s, res.reason, reason, sizeof(reason));
		printf("status: %s\n", eir_status_name(res.status));
		printf("reason: %s\n", reason[0] ? reason : "-");
	}
	if (res.branch == EIR_BR_FAILURE)
		printf("store-error: %s\n", strerror(-res.store_err));
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "imsi", required_argument, NULL, 'i' },
		{ "policy", required_argument, NULL, 'p' },
		{ "tac", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .db = DEFAULT_DB };
	const char *cmd;
	int c, nargs;

	while ((c = getopt_long(argc, argv, "d:i:p:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 'i': o.imsi = optarg; break;
		case 'p': o.policy_file = optarg; break;
		case 't': o.tac = optarg; break;
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
	fprintf(stderr, "eir-db: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return EX_USAGE;
}
