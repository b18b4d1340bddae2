/* eir-bench map: MAP CheckIMEI load through an STP.
 *   eir-bench map --stp PORT [--inflight N] [--seconds S] [--warmup W]
 *                 [--imeis FILE] [--pc PC] [--eir-pc PC]
 * Connects as the test MSC (IPA unit asp-clnt-msc) and keeps N dialogues in
 * flight: MAP v2 Begins (the docs/protocols.md template with the otid and the
 * IMEI patched in) to SSN 9 at --eir-pc. Any answer for an otid in flight
 * completes it, so the same run measures eird or a trivial echo user.
 * After the warm-up it counts answers for S seconds and prints answers/s,
 * the answer mix and latency percentiles. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>

#include "bench_map.h"
#include "sccp_peer.h"

#define MAX_INFLIGHT 4096
#define HIST_US 10
#define HIST_BUCKETS 10000

/* MAP v2 Begin of docs/protocols.md §3.5: otid at 4..7, IMEI TBCD at 52..59. */
static const char begin_hex[] =
	"623a4804000000016b1e281c060700118605010101a011600f80020780a109060704000001000d02"
	"6c12a11002010102012b040853029900711684f0";
#define OTID_AT 4
#define IMEI_AT 52

static struct {
	struct sccp_peer peer;
	struct osmo_sccp_addr calling, called;
	uint8_t tmpl[64];
	size_t tmpl_len;
	char (*imeis)[16];
	size_t n_imeis, next_imei;
	double sent_at[MAX_INFLIGHT];
	uint32_t seq[MAX_INFLIGHT];
	unsigned inflight;
	bool measuring, done;
	uint64_t answers, kinds[5], late;
	uint64_t hist[HIST_BUCKETS + 1];
} L;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void send_one(unsigned slot)
{
	uint8_t msg[64];
	uint32_t otid = (L.seq[slot] & 0xfffff) << 12 | slot;

	memcpy(msg, L.tmpl, L.tmpl_len);
	msg[OTID_AT] = (uint8_t)(otid >> 24);
	msg[OTID_AT + 1] = (uint8_t)(otid >> 16);
	msg[OTID_AT + 2] = (uint8_t)(otid >> 8);
	msg[OTID_AT + 3] = (uint8_t)otid;
	if (L.n_imeis) {
		const char *d = L.imeis[L.next_imei++ % L.n_imeis];
		for (int i = 0; i < 7; i++)
			msg[IMEI_AT + i] = (uint8_t)((d[2 * i] - '0') | (d[2 * i + 1] - '0') << 4);
		msg[IMEI_AT + 7] = 0xf0;
	}
	L.sent_at[slot] = now_s();
	osmo_sccp_tx_unitdata(L.peer.user, &L.calling, &L.called, msg, (unsigned)L.tmpl_len);
}

/* End: 64 LL 49 04 dtid; the echo returns the Begin: 62 LL 48 04 otid. */
static int classify(const uint8_t *p, size_t n)
{
	if (n < 8)
		return 4;
	if (p[0] == 0x62)
		return 3;				/* echoed */
	if (p[0] == 0x64 && n >= 3 && p[n - 3] == 0x0a && p[n - 2] == 0x01 && p[n - 1] <= 2)
		return p[n - 1];			/* equipmentStatus 0..2 */
	return 4;					/* error, reject, abort */
}

static int load_cb(struct osmo_prim_hdr *oph, void *scu)
{
	const uint8_t *p;
	size_t n;
	uint32_t id;
	unsigned slot;

	if (OSMO_PRIM_HDR(oph) != OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION))
		goto out;
	p = msgb_l2(oph->msg);
	n = msgb_l2len(oph->msg);
	if (n < 8)
		goto out;
	id = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	slot = id & 0xfff;
	if (slot >= L.inflight || (id >> 12) != (L.seq[slot] & 0xfffff)) {
		L.late++;
		goto out;
	}
	if (L.measuring) {
		double us = (now_s() - L.sent_at[slot]) * 1e6;
		unsigned b = (unsigned)(us / HIST_US);
		L.hist[b < HIST_BUCKETS ? b : HIST_BUCKETS]++;
		L.answers++;
		L.kinds[classify(p, n)]++;
	}
	L.seq[slot]++;
	if (!L.done)
		send_one(slot);
out:
	msgb_free(oph->msg);
	return 0;
}

static double pct(double q)
{
	uint64_t want = (uint64_t)((double)L.answers * q), acc = 0;

	for (unsigned i = 0; i <= HIST_BUCKETS; i++) {
		acc += L.hist[i];
		if (acc > want)
			return (i + 0.5) * HIST_US;
	}
	return 0;
}

static void load_imeis(const char *path)
{
	char line[64];
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		if (strlen(line) < 14)
			continue;
		if (L.n_imeis == cap) {
			cap = cap ? 2 * cap : 4096;
			L.imeis = realloc(L.imeis, cap * sizeof(*L.imeis));
		}
		memcpy(L.imeis[L.n_imeis], line, 14);
		L.imeis[L.n_imeis++][14] = '\0';
	}
	fclose(f);
}

static void wait_s(double s)
{
	double until = now_s() + s;

	while (now_s() < until)
		osmo_select_main(0);
}

int bench_map_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stp", required_argument, NULL, 's' },
		{ "inflight", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "imeis", required_argument, NULL, 'f' },
		{ "pc", required_argument, NULL, 'p' },
		{ "eir-pc", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct log_info info = { .cat = NULL, .num_cat = 0 };
	void *ctx = talloc_named_const(NULL, 0, "eir-bench-map");
	int stp = 0, pc, eir_pc, c;
	unsigned inflight = 64;
	double seconds = 10, warmup = 2, t0, t1;

	pc = sccp_peer_pc("0.23.1");
	eir_pc = sccp_peer_pc("0.23.5");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': stp = atoi(optarg); break;
		case 'i': inflight = (unsigned)atoi(optarg); break;
		case 'S': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'f': load_imeis(optarg); break;
		case 'p': pc = sccp_peer_pc(optarg); break;
		case 'e': eir_pc = sccp_peer_pc(optarg); break;
		default: goto usage;
		}
	}
	if (stp <= 0 || pc < 0 || eir_pc < 0 || inflight == 0 || inflight > MAX_INFLIGHT)
		goto usage;
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	osmo_ss7_init();
	L.tmpl_len = (size_t)osmo_hexparse(begin_hex, L.tmpl, sizeof(L.tmpl));
	if (sccp_peer_start(&L.peer, ctx, "msc", (uint32_t)pc, stp, 8, load_cb, 10000) < 0)
		return 1;
	osmo_sccp_make_addr_pc_ssn(&L.calling, (uint32_t)pc, 8);
	osmo_sccp_make_addr_pc_ssn(&L.called, (uint32_t)eir_pc, 9);
	L.inflight = inflight;
	for (unsigned s = 0; s < inflight; s++)
		send_one(s);
	wait_s(warmup);
	L.measuring = true;
	t0 = now_s();
	wait_s(seconds);
	t1 = now_s();
	L.measuring = false;
	L.done = true;
	printf("inflight: %u seconds: %.1f answers: %llu answers/s: %.0f\n", inflight, t1 - t0,
	       (unsigned long long)L.answers, (double)L.answers / (t1 - t0));
	printf("mix: whitelisted %llu blacklisted %llu greylisted %llu echoed %llu other %llu (late %llu)\n",
	       (unsigned long long)L.kinds[0], (unsigned long long)L.kinds[1], (unsigned long long)L.kinds[2],
	       (unsigned long long)L.kinds[3], (unsigned long long)L.kinds[4], (unsigned long long)L.late);
	printf("latency_us: p50 %.0f p90 %.0f p99 %.0f p99.9 %.0f\n", pct(0.5), pct(0.9), pct(0.99), pct(0.999));
	return L.answers ? 0 : 1;
usage:
	fprintf(stderr, "usage: eir-bench map --stp PORT [--inflight N] [--seconds S] [--warmup W] "
			"[--imeis FILE] [--pc PC] [--eir-pc PC]\n");
	return 2;
}
