/* eir-gen: deterministic synthetic registry data in the native snapshot
 * format, for tests, demos and benchmarks. Rows are generated in key order
 * from (seed, index) alone, so memory stays constant for a full snapshot of
 * any size, and a delta can name IMEIs that the full with the same --count
 * and --seed holds. `eir-gen observed` fills an observation store the same
 * way, a test aid for eir-db observed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "imei.h"
#include "observed.h"
#include "policy.h"
#include "record.h"
#include "snapshot.h"
#include "timefmt.h"

#define T0 1767225600ULL	/* 2026-01-01: dates are fixed, output reproducible */
#define MAX_TACS 4000

/* TAC prefixes (6 digits: reporting body + type) of widely sold handsets;
 * two more digits make up to 4000 TACs, in ascending order. */
static const char *const tac_prefixes[] = {
	"013440", "014911", "351756", "352906", "353325", "353911", "354071", "355331",
	"356156", "356938", "357216", "357897", "358240", "358468", "359225", "490154",
	"860241", "861536", "862174", "863455", "864389", "865166", "866017", "867400",
	"868019", "869231", "860000", "861111", "862222", "863333", "864444", "865555",
	"866666", "867777", "868888", "350000", "351111", "352222", "353333", "354444",
};

struct gen {
	uint64_t n, seed, seq, base, changes;
	unsigned mix[EIR_STATUS_COUNT];	/* cumulative percent thresholds */
	uint64_t tacs[MAX_TACS];
	unsigned ntacs;
	uint64_t per_tac, step;
	gzFile gz;
	FILE *f;
	char buf[1 << 16];
	size_t len;
	int err;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t h(const struct gen *g, uint64_t i, uint64_t salt)
{
	return mix64(g->seed * 0x9e3779b97f4a7c15ULL + i * 0xd1b54a32d192ed03ULL + salt);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void setup_tacs(struct gen *g)
{
	const size_t np = sizeof(tac_prefixes) / sizeof(tac_prefixes[0]);
	uint64_t want = (g->n + 499999) / 500000;	/* at most half of a TAC used */

	if (want < 8)
		want = 8;
	if (want > MAX_TACS)
		want = MAX_TACS;
	/* Prefix k mod 40, two more digits k div 40: all distinct. */
	for (unsigned k = 0; k < want; k++)
		g->tacs[k] = strtoull(tac_prefixes[k % np], NULL, 10) * 100 + k / np;
	qsort(g->tacs, want, sizeof(uint64_t), cmp_u64);
	g->ntacs = (unsigned)want;
	g->per_tac = (g->n + want - 1) / want;
	g->step = 1000000 / g->per_tac;	/* >= 2 since per_tac <= 500000 */
}

/* The i-th IMEI of the full snapshot; key+1 is never one of them. */
static uint64_t key_of(const struct gen *g, uint64_t i)
{
	uint64_t t = i / g->per_tac, j = i % g->per_tac;
	return g->tacs[t] * 1000000 + j * g->step + h(g, i, 1) % (g->step - 1);
}

static void out(struct gen *g, const char *s, size_t n)
{
	if (g->len + n > sizeof(g->buf)) {
		if (g->gz) {
			if (gzwrite(g->gz, g->buf, (unsigned)g->len) != (int)g->len)
				g->err = EIO;
		} else if (fwrite(g->buf, 1, g->len, g->f) != g->len) {
			g->err = errno ? errno : EIO;
		}
		g->len = 0;
	}
	memcpy(g->buf + g->len, s, n);
	g->len += n;
}

static void out_s(struct gen *g, const char *s)
{
	out(g, s, strlen(s));
}

static enum eir_status pick_status(const struct gen *g, uint64_t r)
{
	unsigned p = (unsigned)(r % 100);
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		if (p < g->mix[st])
			return (enum eir_status)st;
	}
	return EIR_STATUS_ACTIVE;
}

static const char *const block_reasons[] = { "stolen", "lost", "counterfeit", "cloned" };

/* One row without op: imei,status,reason,valid_until,imsi */
static void row(struct gen *g, uint64_t key, uint64_t i, uint64_t salt)
{
	uint64_t r = h(g, i, salt);
	enum eir_status st = pick_status(g, r);
	char imei[EIR_IMEI_DIGITS + 2], date[32], imsi[64];

	/* Half the rows carry the check digit, as registries mix both. */
	eir_imei_format_cd(key, imei);
	if ((r >> 8) & 1)
		imei[EIR_IMEI_DIGITS] = '\0';
	out_s(g, imei);
	out_s(g, ",");
	out_s(g, eir_status_name(st));
	out_s(g, ",");
	if (st == EIR_STATUS_BLOCKED)
		out_s(g, block_reasons[(r >> 12) % 4]);
	else if (st == EIR_STATUS_EXEMPT)
		out_s(g, "golden-list");
	out_s(g, ",");
	if (st == EIR_STATUS_TRAVELLER) {
		/* Within a year either side of T0, some already expired. */
		out_s(g, eir_time_format(T0 - 31536000 + ((r >> 16) % 730) * 86400, date, sizeof(date)));
	}
	out_s(g, ",");
	if ((r >> 32) % 100 == 0) {	/* 1% paired, a quarter of those locked */
		unsigned n = 1 + (unsigned)((r >> 40) % 2);
		if ((r >> 44) % 4 == 0)
			out_s(g, "lock:");
		for (unsigned k = 0; k < n; k++) {
			snprintf(imsi, sizeof(imsi), "%s43211%010llu", k ? ";" : "",
				 (unsigned long long)((r >> 20) % 10000000000ULL + k));
			out_s(g, imsi);
		}
	}
	out_s(g, "\n");
}

static void header(struct gen *g, bool delta)
{
	struct eir_snap_header hd = { .kind = delta ? EIR_SNAP_DELTA : EIR_SNAP_FULL,
				      .seq = g->seq, .base = g->base, .created = T0 + g->seq * 86400 };
	char buf[512];

	snprintf(hd.source, sizeof(hd.source), "eir-gen-seed%llu", (unsigned long long)g->seed);
	eir_snap_format_header(&hd, buf, sizeof(buf));
	out_s(g, buf);
}

static uint64_t gen_full(struct gen *g)
{
	uint64_t rows = 0;
	char line[128];

	header(g, false);
	/* Two whole TACs of counterfeits and one sub-range under a TAC that no
	 * generated IMEI uses. */
	out_s(g, "99000017,blocked,counterfeit,,\n99000025,blocked,counterfeit,,\n");
	out_s(g, "99000033000000-99000033004999,tracked,watchlist,,\n");
	rows += 3;
	for (uint64_t i = 0; i < g->n && !g->err; i++) {
		row(g, key_of(g, i), i, 2);
		rows++;
	}
	snprintf(line, sizeof(line), "# end rows=%llu\n", (unsigned long long)rows);
	out_s(g, line);
	return rows;
}

/* Delta `base`: touches indices disjoint from every other base's, so any
 * chain of deltas over the same full stays consistent. */
static uint64_t gen_delta(struct gen *g)
{
	uint64_t m = g->changes, p = 1000003, rows = 0;
	struct { uint64_t key, i; int op; } *ch = calloc(m ? m : 1, sizeof(*ch));
	char line[128], imei[EIR_IMEI_DIGITS + 1];

	if (!ch)
		return 0;
	while (g->n % p == 0)
		p += 2;
	for (uint64_t j = 0; j < m; j++) {
		uint64_t i = ((g->base * m + j) % g->n * (p % g->n)) % g->n;
		int op = (int)(h(g, i, 3 + g->base) % 10);	/* 0-4 change, 5-6 delete, 7-9 new */
		ch[j].i = i;
		ch[j].op = op;
		ch[j].key = key_of(g, i) + (op >= 7);
	}
	qsort(ch, m, sizeof(*ch), cmp_u64);	/* key is the first member; m >= 1 */
	header(g, true);
	for (uint64_t j = 0; j < m && !g->err; j++) {
		if (j && ch[j].key == ch[j - 1].key)
			continue;	/* only when --changes exceeds --count */
		if (ch[j].op >= 5 && ch[j].op <= 6) {
			eir_imei_format(ch[j].key, imei);
			out_s(g, "del,");
			out_s(g, imei);
			out_s(g, ",,,,\n");
		} else {
			out_s(g, "set,");
			row(g, ch[j].key, ch[j].i, 1000 + g->base);
		}
		rows++;
	}
	snprintf(line, sizeof(line), "# end rows=%llu\n", (unsigned long long)rows);
	out_s(g, line);
	free(ch);
	return rows;
}

/* DIRBS operator lists over the same key space: a blacklist
 * (imei,block_date,reasons) or an exceptions list (imei,imsi,msisdn). */
static const char *const dirbs_reasons[] = {
	"Stolen", "Lost", "Counterfeit|IMEI not in GSMA database", "Duplicate IMEI|Stolen",
};

static uint64_t gen_dirbs(struct gen *g, bool blacklist)
{
	char line[160], imei[EIR_IMEI_DIGITS + 1];
	uint64_t rows = 0;

	out_s(g, blacklist ? "imei,block_date,reasons\n" : "imei,imsi,msisdn\n");
	for (uint64_t i = 0; i < g->n && !g->err; i++) {
		uint64_t r = h(g, i, 7);
		time_t day = (time_t)(T0 - (r % 365) * 86400);
		struct tm tm;

		eir_imei_format(key_of(g, i), imei);
		if (blacklist) {
			gmtime_r(&day, &tm);
			snprintf(line, sizeof(line), "%s,%04d%02d%02d,%s\n", imei, tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday, dirbs_reasons[(r >> 10) % 4]);
		} else {
			/* One IMSI per IMEI, a second for every eighth. */
			snprintf(line, sizeof(line), "%s,43211%010llu,92300%07llu\n", imei,
				 (unsigned long long)((r >> 8) % 10000000000ULL),
				 (unsigned long long)((r >> 20) % 10000000ULL));
			if ((r >> 40) % 8 == 0) {
				out_s(g, line);
				rows++;
				snprintf(line, sizeof(line), "%s,43212%010llu,\n", imei,
					 (unsigned long long)((r >> 8) % 10000000000ULL));
			}
		}
		out_s(g, line);
		rows++;
	}
	return rows;
}

/* ------------------------------------------------------------- observed */

struct obs_gen {
	uint64_t pairs, days, end;
	const char *dir, *list;
};

/* The final state of one generated pair, and the two sightings eird's
 * batches would have carried: the first query and the later ones. */
struct obs_pair {
	struct eir_obs final, first, later;
	bool two;
};

static uint64_t imsi_packed(uint64_t n)
{
	char s[16];
	uint64_t v = 0;

	snprintf(s, sizeof(s), "43211%010llu", (unsigned long long)(n % 10000000000ULL));
	eir_imsi_parse(s, 15, &v);
	return v;
}

/* Pair j of IMEI i (of its k pairs): a subscriber mostly keeps a handset,
 * a tenth of the handsets take the SIM of the previous one, a twentieth
 * have a MAP query without IMSI; the interface decides what is known. */
static void obs_pair_make(const struct gen *g, const struct obs_gen *og, uint64_t i, unsigned j,
			  unsigned k, struct obs_pair *p)
{
	uint64_t r = h(g, i * 8 + j, 11), r2 = h(g, i * 8 + j, 12);
	uint64_t span = og->days * 86400, t_first, t_last;
	struct eir_obs *f = &p->final;
	unsigned pick = (unsigned)(r % 100);

	memset(p, 0, sizeof(*p));
	f->imei = key_of(g, i);
	if (j == k - 1 && h(g, i, 13) % 20 == 0) {
		f->imsi = 0;
		f->iface = EIR_OBS_IF_MAP;
	} else {
		f->imsi = imsi_packed(j == 0 && i > 0 && h(g, i, 14) % 10 == 0 ? (i - 1) * 4 : i * 4 + j);
		f->iface = pick < 55 ? EIR_OBS_IF_S13 : pick < 85 ? EIR_OBS_IF_MAP : EIR_OBS_IF_N5G;
	}
	/* The 5G core hands over the GPSI, most of the time. */
	if (f->iface == EIR_OBS_IF_N5G && (r >> 8) % 5)
		f->msisdn = (12ULL << 56) | (989120000000ULL + (r >> 12) % 10000000ULL);
	t_first = og->end - span + (r >> 16) % span;
	t_last = t_first + r2 % (og->end - t_first + 1);
	f->first_seen = (uint32_t)t_first;
	f->svn = (r2 >> 8) % 10 ? (uint8_t)((r2 >> 12) % 100) : 0xff;
	pick = (unsigned)((r2 >> 20) % 100);
	if (pick < 80) {
		f->verdict = f->would = EIR_WHITELISTED;
		f->branch = EIR_BR_ACTIVE;
	} else if (pick < 90) {
		f->verdict = f->would = EIR_GREYLISTED;
		f->branch = EIR_BR_UNKNOWN;
	} else if (pick < 95) {
		f->verdict = f->would = EIR_BLACKLISTED;
		f->branch = EIR_BR_BLOCKED;
	} else {
		/* Monitor mode: answered white, the policy would have blocked. */
		f->verdict = EIR_WHITELISTED;
		f->would = EIR_BLACKLISTED;
		f->branch = EIR_BR_BLOCKED;
	}
	p->two = (r2 >> 32) % 3 != 0;
	if (!p->two) {
		f->last_seen = f->first_seen;
		f->count = 1;
		p->first = *f;
		return;
	}
	/* Seen twice: at least a second apart, the last no later than the end. */
	if (t_first >= og->end)
		f->first_seen = (uint32_t)(t_first = og->end - 1);
	f->last_seen = (uint32_t)(t_last > t_first ? t_last : t_first + 1);
	f->count = 2 + (uint32_t)((r2 >> 40) % 50);
	/* The first query: counted once, an older answer, no MSISDN yet. */
	p->first = *f;
	p->first.last_seen = f->first_seen;
	p->first.count = 1;
	p->first.msisdn = 0;
	p->first.verdict = p->first.would = EIR_GREYLISTED;
	p->first.branch = EIR_BR_UNKNOWN;
	p->later = *f;
	p->later.first_seen = f->first_seen + 1 <= f->last_seen ? f->first_seen + 1 : f->last_seen;
	p->later.count = f->count - 1;
}

static void obs_list_row(FILE *f, const struct eir_obs *o)
{
	static const char *const ifaces[] = { "", "s13", "map", "n5g" };
	static const char *const rats[] = { "", "eutran", "geran-utran", "nr" };
	char imei[EIR_IMEI_DIGITS + 1], imsi[16] = "", msisdn[16] = "", a[32], b[32];
	time_t t1 = o->first_seen, t2 = o->last_seen;
	struct tm tm;

	eir_imei_format(o->imei, imei);
	if (o->imsi)
		eir_imsi_format(o->imsi, imsi);
	if (o->msisdn)
		eir_imsi_format(o->msisdn, msisdn);
	gmtime_r(&t1, &tm);
	strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&t2, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s,%s,%s,%s,%s,%u,%s,%s,%s,%s,%s,%d\n", imei, imsi, msisdn, a, b, o->count,
		ifaces[o->iface], rats[o->iface], eir_verdict_name(o->verdict),
		eir_verdict_name(o->would), eir_branch_name(o->branch), o->svn == 0xff ? -1 : o->svn);
}

#define OBS_CHUNK 100000

/* Generate og->pairs pairs into the store in og->dir, in chunks: the
 * chunk's first sightings in one merge, its later ones in the next. */
static int gen_observed(struct gen *g, const struct obs_gen *og)
{
	struct eir_obs *first = calloc(OBS_CHUNK + 4, sizeof(*first));
	struct eir_obs *later = calloc(OBS_CHUNK + 4, sizeof(*later));
	struct eir_obs_merge_stats ms;
	struct eir_obs_db *db = NULL;
	struct obs_pair p;
	FILE *list = NULL;
	char err[512] = "";
	uint64_t made = 0, i = 0;
	int rc = -ENOMEM;

	if (!first || !later)
		goto out;
	g->n = og->pairs;	/* at most one IMEI a pair: the key space */
	setup_tacs(g);
	rc = eir_obs_open(&db, og->dir, true, 0, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eir-gen: %s\n", err);
		goto out;
	}
	if (og->list && !(list = fopen(og->list, "w"))) {
		rc = -errno;
		fprintf(stderr, "eir-gen: %s: %s\n", og->list, strerror(errno));
		goto out;
	}
	if (list)
		fputs("imei,imsi,msisdn,first_seen,last_seen,count,interface,rat,verdict,would,branch,svn\n", list);
	while (made < og->pairs && !rc) {
		size_t nf = 0, nl = 0;

		while (nf < OBS_CHUNK && made < og->pairs) {
			uint64_t r = h(g, i, 10);
			unsigned k = r % 100 < 75 ? 1 : r % 100 < 95 ? 2 : 3;

			if (k > og->pairs - made)
				k = (unsigned)(og->pairs - made);
			for (unsigned j = 0; j < k; j++) {
				obs_pair_make(g, og, i, j, k, &p);
				first[nf++] = p.first;
				if (p.two)
					later[nl++] = p.later;
				if (list)
					obs_list_row(list, &p.final);
			}
			made += k;
			i++;
		}
		rc = eir_obs_merge(db, first, nf, &ms);
		if (!rc && nl)
			rc = eir_obs_merge(db, later, nl, &ms);
		if (rc)
			fprintf(stderr, "eir-gen: merging into %s: %s\n", og->dir, strerror(-rc));
	}
	if (list && fclose(list) != 0 && !rc) {
		rc = -EIO;
		fprintf(stderr, "eir-gen: %s: write failed\n", og->list);
	}
	list = NULL;
out:
	if (list)
		fclose(list);
	eir_obs_close(db);
	free(first);
	free(later);
	return rc;
}

static int parse_mix(struct gen *g, char *spec)
{
	unsigned pct[EIR_STATUS_COUNT] = { 0 }, total = 0;

	for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '=');
		enum eir_status st;
		if (!eq)
			return -1;
		st = eir_status_from_name(tok, (size_t)(eq - tok));
		if (st == EIR_STATUS_NONE)
			return -1;
		pct[st] = (unsigned)strtoul(eq + 1, NULL, 10);
	}
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		total += pct[st];
		g->mix[st] = total;
	}
	return total == 100 ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: eir-gen --count N [--seed S] [--seq Q] [--mix STATUS=PCT,...] [-o FILE]\n"
		"       eir-gen --count N [--seed S] --kind delta --base SEQ --changes M [-o FILE]\n"
		"Write deterministic synthetic registry data in the native snapshot format.\n\n"
		"  -n, --count N      IMEIs in the full snapshot (a delta names IMEIs of that full)\n"
		"  -s, --seed S       generator seed (default 1); same count+seed = same data\n"
		"      --seq Q        full: its seq (default 1); delta: default base+1\n"
		"  -k, --kind K       full (default) or delta\n"
		"      --base SEQ     delta: the seq it applies to\n"
		"      --changes M    delta: rows (changes, deletions, new IMEIs)\n"
		"      --mix SPEC     status percentages summing to 100 (default\n"
		"                     active=62,registered=13,traveller=5,blocked=12,tracked=7,exempt=1)\n"
		"  -o, --output FILE  write to FILE (.gz: gzip-compressed); default stdout\n"
		"  -f, --format F     native (default), dirbs-blacklist (imei,block_date,reasons)\n"
		"                     or dirbs-exceptions (imei,imsi,msisdn): full lists\n\n"
		"Test aid: fill an observation store (eir-db observed) with generated pairs:\n"
		"       eir-gen observed --pairs N --observed DIR [--seed S] [--days D]\n"
		"                        [--end TIME] [--list FILE]\n"
		"      --days D       first sightings over the D days before the end (default 30)\n"
		"      --end TIME     the last second of the data, YYYY-MM-DD or\n"
		"                     YYYY-MM-DDTHH:MM:SSZ (default 2026-01-01)\n"
		"      --list FILE    also write the pairs as stored, in eir-db's CSV export\n"
		"                     columns plus svn, for tests to compare with\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "seq", required_argument, NULL, 'Q' },
		{ "kind", required_argument, NULL, 'k' },
		{ "base", required_argument, NULL, 'B' },
		{ "changes", required_argument, NULL, 'M' },
		{ "mix", required_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "pairs", required_argument, NULL, 'P' },
		{ "observed", required_argument, NULL, 'D' },
		{ "days", required_argument, NULL, 'Y' },
		{ "end", required_argument, NULL, 'E' },
		{ "list", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen g;
	char mixdef[] = "active=62,registered=13,traveller=5,blocked=12,tracked=7,exempt=1";
	const char *output = NULL, *kind = "full", *format = "native", *end = NULL;
	struct obs_gen og = { .days = 30, .end = T0 };
	bool have_base = false, have_seq = false;
	int c;

	g.seed = 1;
	parse_mix(&g, mixdef);
	while ((c = getopt_long(argc, argv, "n:s:k:o:f:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': g.n = strtoull(optarg, NULL, 10); break;
		case 's': g.seed = strtoull(optarg, NULL, 10); break;
		case 'Q': g.seq = strtoull(optarg, NULL, 10), have_seq = true; break;
		case 'k': kind = optarg; break;
		case 'B': g.base = strtoull(optarg, NULL, 10), have_base = true; break;
		case 'M': g.changes = strtoull(optarg, NULL, 10); break;
		case 'x':
			if (parse_mix(&g, optarg)) {
				fprintf(stderr, "eir-gen: --mix wants STATUS=PCT pairs of known statuses summing to 100\n");
				return 2;
			}
			break;
		case 'o': output = optarg; break;
		case 'f': format = optarg; break;
		case 'P': og.pairs = strtoull(optarg, NULL, 10); break;
		case 'D': og.dir = optarg; break;
		case 'Y': og.days = strtoull(optarg, NULL, 10); break;
		case 'E': end = optarg; break;
		case 'L': og.list = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("eir-gen %s\n", EIR_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 == argc && !strcmp(argv[optind], "observed")) {
		if (!og.pairs || og.pairs > 4000ULL * 500000 || !og.dir || !og.days || og.days > 3650 ||
		    (end && eir_time_parse(end, strlen(end), &og.end)) || og.end > UINT32_MAX ||
		    og.end < og.days * 86400) {
			fprintf(stderr, "eir-gen: observed needs --pairs N (N > 0) and --observed DIR;"
				" --days 1 to 3650; --end a date or time from 1970 + days to 2106\n");
			return 2;
		}
		return gen_observed(&g, &og) ? 1 : 0;
	}
	bool delta = !strcmp(kind, "delta");
	bool dirbs_bl = !strcmp(format, "dirbs-blacklist"), dirbs_ex = !strcmp(format, "dirbs-exceptions");
	if ((strcmp(format, "native") && !dirbs_bl && !dirbs_ex) || ((dirbs_bl || dirbs_ex) && delta)) {
		fprintf(stderr, "eir-gen: --format is native, dirbs-blacklist or dirbs-exceptions (full lists)\n");
		return 2;
	}
	if (optind != argc || !g.n || g.n > 4000ULL * 500000 || (!delta && strcmp(kind, "full")) ||
	    (delta && (!have_base || !g.changes))) {
		usage(stderr);
		return 2;
	}
	if (!have_seq)
		g.seq = delta ? g.base + 1 : 1;
	if (delta && g.seq <= g.base) {
		fprintf(stderr, "eir-gen: --seq must be above --base\n");
		return 2;
	}
	setup_tacs(&g);
	if (output && strlen(output) > 3 && !strcmp(output + strlen(output) - 3, ".gz")) {
		g.gz = gzopen(output, "wb1");
		if (!g.gz) {
			fprintf(stderr, "eir-gen: %s: cannot create\n", output);
			return 1;
		}
	} else {
		g.f = output ? fopen(output, "w") : stdout;
		if (!g.f) {
			fprintf(stderr, "eir-gen: %s: %s\n", output, strerror(errno));
			return 1;
		}
	}
	uint64_t rows = dirbs_bl || dirbs_ex ? gen_dirbs(&g, dirbs_bl) : delta ? gen_delta(&g) : gen_full(&g);
	out(&g, "", 0);
	if (g.len) {
		if (g.gz)
			g.err = gzwrite(g.gz, g.buf, (unsigned)g.len) == (int)g.len ? g.err : EIO;
		else if (fwrite(g.buf, 1, g.len, g.f) != g.len)
			g.err = EIO;
	}
	if (g.gz) {
		if (gzclose(g.gz) != Z_OK)
			g.err = EIO;
	} else if (g.f == stdout) {
		if (fflush(stdout) != 0)
			g.err = EIO;
	} else if (fclose(g.f) != 0) {
		g.err = EIO;
	}
	if (g.err || !rows) {
		fprintf(stderr, "eir-gen: writing %s failed: %s\n", output ? output : "stdout",
			strerror(g.err ? g.err : ENOMEM));
		return 1;
	}
	return 0;
}
