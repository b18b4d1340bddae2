/* eir-bench: load generator for the EIR's front ends.
 *   eir-bench s13 --port P [--host H] [--conns N] [--inflight M]
 *                 [--seconds S] [--warmup W] [--imeis FILE] [--seed X]
 *                 [--imsi] [--rate R]
 * Opens N Diameter connections (each with its own Origin-Host
 * bench-<i>.example.net, since Diameter servers keep one connection per
 * peer), exchanges CER/CEA, then keeps M ME-Identity-Check requests in
 * flight on each, IMEIs drawn from FILE (one per line) or generated from
 * the seed. After the warm-up it counts answers for S seconds and prints
 * answers/s, the answer mix and latency percentiles. --imsi sends each
 * IMEI with a User-Name IMSI of its own (the same IMSI for the same IMEI,
 * as a subscriber keeps a handset); --rate caps the requests per second
 * (a slot waits for its turn), for a load below the server's limit. One thread, epoll;
 * all requests that a wake-up allows leave in one write per connection.
 *   eir-bench map --stp PORT ...: MAP CheckIMEI through an STP (bench_map.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#ifdef HAVE_MAP
#include "bench_map.h"
#endif
#include "diam.h"
#include "imei.h"
#include "msg.h"

#define MAX_CONNS 256
#define MAX_INFLIGHT 256
#define RBUF (256 * 1024)
#define HIST_BUCKETS 4096	/* 10 us buckets up to ~41 ms, then overflow */
#define HIST_US 10

struct bconn {
	int fd, idx;
	bool open;
	uint8_t rbuf[RBUF];
	size_t rlen;
	uint8_t wbuf[MAX_INFLIGHT * 512];
	size_t wlen;
	double sent_at[MAX_INFLIGHT];
	unsigned pending;	/* requests to send */
	unsigned inflight;
	char host[64];
};

static struct bconn conns[MAX_CONNS];
static char (*imeis)[20];
static size_t n_imeis;
static uint64_t rnd_state = 1;
static uint64_t hist[HIST_BUCKETS + 1], answers, results[6];
static bool measuring;
static bool with_imsi;
static double rate, t_start;
static uint64_t sent;
/* Slots waiting for the rate: connection index and slot. */
static struct parked {
	uint16_t conn, slot;
} *parked;
static size_t n_parked;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void send_cer(struct bconn *c)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	struct diam_buf b;
	long n;

	diam_buf_init(&b, c->wbuf + c->wlen, sizeof(c->wbuf) - c->wlen);
	diam_msg_begin(&b, DIAM_FLAG_R, DIAM_CMD_CE, 0, 1, 1);
	diam_put_str(&b, AVP_ORIGIN_HOST, DIAM_AVP_M, 0, c->host);
	diam_put_str(&b, AVP_ORIGIN_REALM, DIAM_AVP_M, 0, "example.net");
	diam_put_addr(&b, AVP_HOST_IP_ADDRESS, DIAM_AVP_M, 1, lo, 4);
	diam_put_u32(&b, AVP_VENDOR_ID, DIAM_AVP_M, 0, 0);
	diam_put_str(&b, AVP_PRODUCT_NAME, 0, 0, "eir-bench");
	diam_put_u32(&b, AVP_SUPPORTED_VENDOR_ID, DIAM_AVP_M, 0, DIAM_VENDOR_3GPP);
	diam_put_u32(&b, AVP_INBAND_SECURITY_ID, DIAM_AVP_M, 0, 0);
	diam_group_begin(&b, AVP_VSAI, DIAM_AVP_M, 0);
	diam_put_u32(&b, AVP_VENDOR_ID, DIAM_AVP_M, 0, DIAM_VENDOR_3GPP);
	diam_put_u32(&b, AVP_AUTH_APP_ID, DIAM_AVP_M, 0, DIAM_APP_S13);
	diam_group_end(&b);
	n = diam_msg_end(&b);
	if (n > 0)
		c->wlen += (size_t)n;
}

/* One ECR with hop-by-hop = its in-flight slot. */
static void queue_ecr(struct bconn *c, unsigned slot)
{
	char sid[96], imsi[16];
	size_t k = rnd() % n_imeis;
	struct s13_ecr_params p = { .session_id = sid, .origin_host = c->host, .origin_realm = "example.net",
				    .dest_realm = "example.net", .software_version = "01",
				    .imei = imeis[k] };
	struct diam_buf b;
	long n;

	if (rate > 0 && (double)sent >= rate * (now_s() - t_start)) {
		parked[n_parked++] = (struct parked){ (uint16_t)c->idx, (uint16_t)slot };
		return;
	}
	sent++;
	if (with_imsi) {
		snprintf(imsi, sizeof(imsi), "43211%010llu", (unsigned long long)((k * 2654435761ULL) % 10000000000ULL));
		p.user_name = imsi;
	}

	snprintf(sid, sizeof(sid), "%s;%u;%llu", c->host, slot, (unsigned long long)rnd());
	diam_buf_init(&b, c->wbuf + c->wlen, sizeof(c->wbuf) - c->wlen);
	n = s13_ecr_encode(&b, &p, slot, (uint32_t)rnd());
	if (n <= 0)
		return;
	c->wlen += (size_t)n;
	c->sent_at[slot] = now_s();
	c->inflight++;
}

static void flush(struct bconn *c)
{
	size_t off = 0;

	while (off < c->wlen) {
		ssize_t n = write(c->fd, c->wbuf + off, c->wlen - off);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			perror("eir-bench: write");
			exit(1);
		}
		off += (size_t)n;
	}
	memmove(c->wbuf, c->wbuf + off, c->wlen - off);
	c->wlen -= off;
}

static void answer_dwr(struct bconn *c, const struct diam_hdr *h)
{
	struct diam_self self = { .origin_host = c->host, .origin_realm = "example.net" };
	struct diam_buf b;
	long n;

	diam_buf_init(&b, c->wbuf + c->wlen, sizeof(c->wbuf) - c->wlen);
	n = diam_dwa_encode(&b, h, &self);
	if (n > 0)
		c->wlen += (size_t)n;
}

static void on_message(struct bconn *c, const uint8_t *m, size_t len, unsigned inflight)
{
	struct diam_hdr h;
	struct diam_iter it;
	struct diam_avp a;

	diam_hdr_parse(m, &h);
	if (h.flags & DIAM_FLAG_R) {
		if (h.code == DIAM_CMD_DW)
			answer_dwr(c, &h);
		return;
	}
	if (h.code == DIAM_CMD_CE) {
		uint32_t rc = 0;
		diam_iter_msg(&it, m, len);
		while (diam_iter_next(&it, &a) == 1)
			if (a.code == AVP_RESULT_CODE)
				diam_avp_u32(&a, &rc);
		if (rc != DIAM_SUCCESS) {
			fprintf(stderr, "eir-bench: %s: CEA %u\n", c->host, rc);
			exit(1);
		}
		c->open = true;
		for (unsigned s = 0; s < inflight; s++)
			queue_ecr(c, s);
		return;
	}
	if (h.code != DIAM_CMD_MEIC || h.hbh >= MAX_INFLIGHT)
		return;
	if (measuring) {
		double us = (now_s() - c->sent_at[h.hbh]) * 1e6;
		size_t bucket = (size_t)(us / HIST_US);
		hist[bucket < HIST_BUCKETS ? bucket : HIST_BUCKETS]++;
		answers++;
		int kind = 5;
		diam_iter_msg(&it, m, len);
		while (diam_iter_next(&it, &a) == 1) {
			uint32_t v;
			if (a.code == AVP_EQUIPMENT_STATUS && !diam_avp_u32(&a, &v) && v < 3)
				kind = (int)v;
			else if (a.code == AVP_EXPERIMENTAL_RESULT)
				kind = 3;
			else if (a.code == AVP_RESULT_CODE && !diam_avp_u32(&a, &v) && v != DIAM_SUCCESS)
				kind = 4;
		}
		results[kind]++;
	}
	c->inflight--;
	queue_ecr(c, h.hbh);	/* keep the slot busy */
}

static void on_readable(struct bconn *c, unsigned inflight)
{
	for (;;) {
		ssize_t n = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			fprintf(stderr, "eir-bench: %s: connection closed by the server\n", c->host);
			exit(1);
		}
		c->rlen += (size_t)n;
		size_t off = 0;
		for (;;) {
			long len = diam_frame(c->rbuf + off, c->rlen - off, RBUF);
			if (len <= 0) {
				if (len < 0) {
					fprintf(stderr, "eir-bench: %s: framing error\n", c->host);
					exit(1);
				}
				break;
			}
			on_message(c, c->rbuf + off, (size_t)len, inflight);
			off += (size_t)len;
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	flush(c);
}

static double percentile(double p)
{
	uint64_t total = 0, want, acc = 0;

	for (size_t i = 0; i <= HIST_BUCKETS; i++)
		total += hist[i];
	want = (uint64_t)(p * (double)total);
	for (size_t i = 0; i <= HIST_BUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return (double)(i + 1) * HIST_US;
	}
	return (double)HIST_BUCKETS * HIST_US;
}

static void load_imeis(const char *file, uint64_t seed)
{
	size_t cap = 1 << 16;
	imeis = malloc(cap * sizeof(*imeis));
	if (!imeis)
		exit(1);
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			perror(file);
			exit(2);
		}
		while (fscanf(f, "%19s", imeis[n_imeis]) == 1) {
			if (++n_imeis == cap) {
				void *grown = realloc(imeis, 2 * cap * sizeof(*imeis));
				if (!grown) {
					fprintf(stderr, "eir-bench: out of memory\n");
					exit(1);
				}
				imeis = grown;
				cap *= 2;
			}
		}
		fclose(f);
	}
	if (!n_imeis) {	/* synthetic, under common TACs */
		rnd_state = seed;
		for (; n_imeis < cap; n_imeis++)
			eir_imei_format(35000000000000ULL + rnd() % 10000000000ULL, imeis[n_imeis]);
	}
	rnd_state = seed;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "inflight", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "imeis", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'S' },
		{ "imsi", no_argument, NULL, 'I' },
		{ "rate", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = "127.0.0.1", *imei_file = NULL;
	unsigned port = 0, nconns = 16, inflight = 16;
	double seconds = 10, warmup = 2;
	uint64_t seed = 1;
	int c, ep;

#ifdef HAVE_MAP
	if (argc >= 2 && !strcmp(argv[1], "map"))
		return bench_map_main(argc - 1, argv + 1);
#endif
	if (argc < 2 || strcmp(argv[1], "s13")) {
		fprintf(stderr, "usage: eir-bench s13 --port P [--host H] [--conns N] [--inflight M] "
				"[--seconds S] [--warmup W] [--imeis FILE] [--seed X] [--imsi] [--rate R]\n"
				"       eir-bench map --stp PORT [--inflight N] [--seconds S] [--warmup W] "
				"[--imeis FILE]\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'c': nconns = (unsigned)atoi(optarg); break;
		case 'm': inflight = (unsigned)atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'i': imei_file = optarg; break;
		case 'S': seed = strtoull(optarg, NULL, 10); break;
		case 'I': with_imsi = true; break;
		case 'r': rate = atof(optarg); break;
		default: return 2;
		}
	}
	if (!port || !nconns || nconns > MAX_CONNS || !inflight || inflight > MAX_INFLIGHT)
		return 2;
	load_imeis(imei_file, seed);
	parked = calloc((size_t)nconns * inflight, sizeof(*parked));
	t_start = now_s();

	ep = epoll_create1(0);
	for (unsigned i = 0; i < nconns; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };
		int one = 1;

		inet_pton(AF_INET, host, &sa.sin_addr);
		conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		conns[i].idx = (int)i;
		snprintf(conns[i].host, sizeof(conns[i].host), "bench-%u.example.net", i);
		if (connect(conns[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("eir-bench: connect");
			return 1;
		}
		setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		send_cer(&conns[i]);
		flush(&conns[i]);
		fcntl(conns[i].fd, F_SETFL, fcntl(conns[i].fd, F_GETFL) | O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}

	double start = now_s(), t_measure = start + warmup, t_end = t_measure + seconds;
	while (now_s() < t_end) {
		struct epoll_event evs[MAX_CONNS];
		int n = epoll_wait(ep, evs, MAX_CONNS, n_parked ? 1 : 100);
		if (!measuring && now_s() >= t_measure)
			measuring = true;
		for (int i = 0; i < n; i++)
			on_readable(evs[i].data.ptr, inflight);
		/* Parked slots whose turn has come, oldest first. */
		if (n_parked) {
			size_t k = n_parked;
			struct parked *q = malloc(k * sizeof(*q));
			memcpy(q, parked, k * sizeof(*q));
			n_parked = 0;
			for (size_t j = 0; j < k; j++)
				queue_ecr(&conns[q[j].conn], q[j].slot);
			for (unsigned i = 0; i < nconns; i++)
				if (conns[i].wlen)
					flush(&conns[i]);
			free(q);
		}
	}
	double elapsed = now_s() - t_measure;
	printf("connections: %u x %u in flight, %zu IMEIs%s\n", nconns, inflight, n_imeis,
	       with_imsi ? " with their IMSIs" : "");
	printf("answers/s: %.0f (%llu in %.1f s)\n", (double)answers / elapsed, (unsigned long long)answers, elapsed);
	printf("mix: whitelisted %llu, blacklisted %llu, greylisted %llu, unknown %llu, errors %llu\n",
	       (unsigned long long)results[0], (unsigned long long)results[1], (unsigned long long)results[2],
	       (unsigned long long)results[3], (unsigned long long)results[4]);
	printf("latency us: p50 %.0f, p99 %.0f, p99.9 %.0f\n", percentile(0.50), percentile(0.99),
	       percentile(0.999));
	return results[4] ? 1 : 0;
}
