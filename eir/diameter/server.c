/* eird's Diameter front end (server.h). Responder side of RFC 6733: a peer
 * connects, sends CER, is checked against the allow-list and answered;
 * then DWR/DWA both ways (Tw), DPR/DPA, and S13 ME-Identity-Check.
 * Batching: each read drains every complete message in the buffer and all
 * answers of that read leave in one write (one msgb per loop turn). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/netif/stream.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "diam.h"
#include "hist.h"
#include "eird.h"
#include "imei.h"
#include "msg.h"
#include "record.h"
#include "server.h"

#define DIAM_PORT 3868
#define MAX_MSG (16 * 1024)		/* largest message accepted */
#define RBUF (4 * MAX_MSG)
#define OUT_MSGB 65535			/* msgb sizes are 16-bit */
#define ANSWER_ROOM (MAX_MSG + 1024)	/* the largest answer: Failed-AVP quoting a whole AVP */
#define CLOSE_GRACE_MS 500

enum {
	S13_RX_ECR,
	S13_TX_WHITE,
	S13_TX_BLACK,
	S13_TX_GREY,
	S13_TX_UNKNOWN,
	S13_TX_ERROR,
	DIAM_CER_OK,
	DIAM_CER_REFUSED,
	DIAM_RX_DWR,
	DIAM_TX_DWR,
	DIAM_RX_DPR,
	DIAM_FRAMING_ERROR,
	DIAM_WATCHDOG_CLOSE,
	ERR_MISSING_AVP,
	ERR_AVP_UNSUPPORTED,
	ERR_INVALID_AVP,
	ERR_COMMAND_UNSUPPORTED,
	ERR_APPLICATION_UNSUPPORTED,
	ERR_INVALID_HDR_BITS,
	ERR_OTHER,
};

static const struct rate_ctr_desc diam_ctr_desc[] = {
	[S13_RX_ECR] = { "s13:rx:ecr", "ME-Identity-Check requests received" },
	[S13_TX_WHITE] = { "s13:tx:whitelisted", "Answers with Equipment-Status WHITELISTED" },
	[S13_TX_BLACK] = { "s13:tx:blacklisted", "Answers with Equipment-Status BLACKLISTED" },
	[S13_TX_GREY] = { "s13:tx:greylisted", "Answers with Equipment-Status GREYLISTED" },
	[S13_TX_UNKNOWN] = { "s13:tx:unknown", "Answers with Experimental-Result 5422" },
	[S13_TX_ERROR] = { "diameter:tx:error", "Error answers (protocol and permanent failures)" },
	[DIAM_CER_OK] = { "diameter:cer:accepted", "Peers accepted by CER" },
	[DIAM_CER_REFUSED] = { "diameter:cer:refused", "CERs refused (unknown peer, no common application, malformed)" },
	[DIAM_RX_DWR] = { "diameter:rx:dwr", "Device-Watchdog-Requests received" },
	[DIAM_TX_DWR] = { "diameter:tx:dwr", "Device-Watchdog-Requests sent" },
	[DIAM_RX_DPR] = { "diameter:rx:dpr", "Disconnect-Peer-Requests received" },
	[DIAM_FRAMING_ERROR] = { "diameter:framing-error", "Connections closed on a framing error" },
	[DIAM_WATCHDOG_CLOSE] = { "diameter:watchdog-close", "Connections closed: no DWA within Tw" },
	[ERR_MISSING_AVP] = { "diameter:error:missing-avp", "Answered 5005: a mandatory AVP missing" },
	[ERR_AVP_UNSUPPORTED] = { "diameter:error:avp-unsupported", "Answered 5001: unsupported AVP with the M bit" },
	[ERR_INVALID_AVP] = { "diameter:error:invalid-avp", "Answered 5004, 5009 or 5014: bad AVP value, count or length" },
	[ERR_COMMAND_UNSUPPORTED] = { "diameter:error:command-unsupported", "Answered 3001: unknown command" },
	[ERR_APPLICATION_UNSUPPORTED] = { "diameter:error:application-unsupported", "Answered 3007: unknown application" },
	[ERR_INVALID_HDR_BITS] = { "diameter:error:header-bits", "Answered 3008: invalid header bits" },
	[ERR_OTHER] = { "diameter:error:other", "Other error answers" },
};

osmo_static_assert(ARRAY_SIZE(diam_ctr_desc) == ERR_OTHER + 1, diam_ctr_desc_matches_enum);

static const struct rate_ctr_group_desc diam_ctrg_desc = {
	.group_name_prefix = "diameter",
	.group_description = "Diameter S13 front end",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(diam_ctr_desc),
	.ctr_desc = diam_ctr_desc,
};

struct listen_cfg {
	struct llist_head list;
	bool sctp;
	char *addr;
	uint16_t port;
	struct osmo_stream_srv_link *link;
};

struct peer_cfg {
	struct llist_head list;
	char *host;
	char *addr;	/* NULL: any source address */
};

enum conn_state { WAIT_CER, OPEN, CLOSING };

struct conn {
	struct llist_head list;
	struct osmo_stream_srv *srv;
	enum conn_state state;
	char peer_host[256];
	char remote_addr[INET6_ADDRSTRLEN];
	uint8_t local_ipv4[1][4];
	uint8_t *rbuf;
	size_t rlen;
	struct msgb *out;
	struct osmo_timer_list timer;
	time_t last_rx;
	bool dwr_pending;
	uint32_t next_hbh;
	uint64_t read_ns;	/* when the current batch was read */
	unsigned batch_answers;	/* S13 answers in it, for the latency histogram */
};

static struct {
	char *origin_host, *origin_realm;
	unsigned watchdog;		/* Tw, seconds */
	struct llist_head listens, peers, conns;
	struct rate_ctr_group *ctrs;
	struct eir_hist latency;
} D = {
	.watchdog = 30,
	.listens = LLIST_HEAD_INIT(D.listens),
	.peers = LLIST_HEAD_INIT(D.peers),
	.conns = LLIST_HEAD_INIT(D.conns),
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void ctr_inc(int i)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(D.ctrs, i));
}

static struct diam_self self_for(const struct conn *c)
{
	return (struct diam_self){
		.origin_host = D.origin_host, .origin_realm = D.origin_realm, .product_name = "eird",
		.vendor_id = 0, .firmware_revision = 0, .ipv4 = c->local_ipv4, .n_ipv4 = 1,
	};
}

/* ------------------------------------------------------------- output */

static uint8_t *out_reserve(struct conn *c, size_t n)
{
	if (c->out && (size_t)msgb_tailroom(c->out) < n) {
		osmo_stream_srv_send(c->srv, c->out);
		c->out = NULL;
	}
	if (!c->out)
		c->out = msgb_alloc_c(c, OUT_MSGB, "diameter-out");
	return c->out ? msgb_data(c->out) + msgb_length(c->out) : NULL;
}

/* Encode with fn into the connection's pending output. */
#define EMIT(c, call) do {						\
	struct diam_buf b_;						\
	uint8_t *p_ = out_reserve((c), ANSWER_ROOM);			\
	long n_;							\
	if (!p_)							\
		break;							\
	diam_buf_init(&b_, p_, msgb_tailroom((c)->out));		\
	n_ = (call);							\
	if (n_ > 0)							\
		msgb_put((c)->out, (unsigned)n_);			\
	else								\
		LOGP(DDIAM, LOGL_ERROR, "%s: answer does not fit\n", (c)->peer_host); \
} while (0)

static void flush(struct conn *c)
{
	if (c->out && msgb_length(c->out))
		osmo_stream_srv_send(c->srv, c->out);
	else if (c->out)
		msgb_free(c->out);
	c->out = NULL;
}

/* ------------------------------------------------------------- lifecycle */

static void conn_close(struct conn *c)
{
	osmo_stream_srv_destroy(c->srv);	/* closed_cb frees c */
}

static void timer_cb(void *data);

static void arm_timer(struct conn *c, unsigned ms)
{
	osmo_timer_schedule(&c->timer, ms / 1000, (ms % 1000) * 1000);
}

/* Answer sent; the transport goes after a grace period (or when the peer
 * closes first, as the sender of DPR does). */
static void close_after_send(struct conn *c)
{
	c->state = CLOSING;
	arm_timer(c, CLOSE_GRACE_MS);
}

static void timer_cb(void *data)
{
	struct conn *c = data;
	struct diam_buf b;
	uint8_t buf[512];
	long n;

	if (c->state != OPEN) {
		LOGP(DDIAM, LOGL_NOTICE, "%s: closing (%s)\n", c->remote_addr,
		     c->state == WAIT_CER ? "no CER in time" : "after answer");
		conn_close(c);
		return;
	}
	if (c->dwr_pending) {
		LOGP(DDIAM, LOGL_ERROR, "%s: no DWA within %u s, closing\n", c->peer_host, D.watchdog);
		ctr_inc(DIAM_WATCHDOG_CLOSE);
		conn_close(c);
		return;
	}
	/* Tw counts from the last message received, jittered by up to 2 s
	 * late (RFC 3539 3.4.1); until then, sleep the rest of it. */
	time_t idle = time(NULL) - c->last_rx;
	if (idle < (time_t)D.watchdog) {
		long rest_ms = ((long)D.watchdog - (long)idle) * 1000 + random() % 2000;
		arm_timer(c, rest_ms < 200 ? 200 : (unsigned)rest_ms);
		return;
	}
	struct diam_self self = self_for(c);
	diam_buf_init(&b, buf, sizeof(buf));
	n = diam_dwr_encode(&b, &self, c->next_hbh++, (uint32_t)random());
	if (n > 0) {
		struct msgb *m = msgb_alloc_c(c, (uint16_t)n, "dwr");
		if (m) {
			memcpy(msgb_put(m, (unsigned)n), buf, (size_t)n);
			osmo_stream_srv_send(c->srv, m);
			c->dwr_pending = true;
			ctr_inc(DIAM_TX_DWR);
		}
	}
	/* The DWA must come within Tw. */
	arm_timer(c, D.watchdog * 1000);
}

/* ------------------------------------------------------------- handling */

static struct peer_cfg *allowed_peer(const struct diam_str *host, const char *addr)
{
	struct peer_cfg *p;

	llist_for_each_entry(p, &D.peers, list) {
		if (strlen(p->host) == host->n && !strncasecmp(p->host, (const char *)host->p, host->n) &&
		    (!p->addr || !strcmp(p->addr, addr)))
			return p;
	}
	return NULL;
}

static void handle_cer(struct conn *c, const uint8_t *msg, size_t len, const struct diam_hdr *h)
{
	struct diam_self self = self_for(c);
	struct diam_cer cer;
	struct diam_fault f;
	struct conn *other, *tmp;

	if (diam_cer_decode(msg, len, &cer, &f)) {
		LOGP(DDIAM, LOGL_NOTICE, "%s: malformed CER: %s\n", c->remote_addr, f.text);
		EMIT(c, diam_error_encode(&b_, h, (struct diam_str){ 0 }, &self, &f));
		goto refused;
	}
	snprintf(c->peer_host, sizeof(c->peer_host), "%.*s", (int)cer.origin_host.n, cer.origin_host.p);
	if (!allowed_peer(&cer.origin_host, c->remote_addr)) {
		LOGP(DDIAM, LOGL_NOTICE, "%s: unknown peer %s refused\n", c->remote_addr, c->peer_host);
		EMIT(c, diam_cea_encode(&b_, h, &self, DIAM_UNKNOWN_PEER, "peer not configured"));
		goto refused;
	}
	if (!cer.s13 && !cer.relay) {
		LOGP(DDIAM, LOGL_NOTICE, "%s: no common application\n", c->peer_host);
		EMIT(c, diam_cea_encode(&b_, h, &self, DIAM_NO_COMMON_APPLICATION, NULL));
		goto refused;
	}
	/* A peer that reconnects (it restarted, or its old transport died
	 * unnoticed) replaces its old connection. */
	llist_for_each_entry_safe(other, tmp, &D.conns, list) {
		if (other != c && other->state == OPEN && !strcasecmp(other->peer_host, c->peer_host)) {
			LOGP(DDIAM, LOGL_NOTICE, "%s: new connection from %s replaces the old one\n",
			     c->peer_host, c->remote_addr);
			conn_close(other);
		}
	}
	EMIT(c, diam_cea_encode(&b_, h, &self, DIAM_SUCCESS, NULL));
	c->state = OPEN;
	ctr_inc(DIAM_CER_OK);
	LOGP(DDIAM, LOGL_NOTICE, "%s: peer %s open\n", c->remote_addr, c->peer_host);
	arm_timer(c, D.watchdog * 1000);
	return;
refused:
	ctr_inc(DIAM_CER_REFUSED);
	close_after_send(c);
}

static void answer_error(struct conn *c, const uint8_t *msg, size_t len, const struct diam_hdr *h,
			 const struct diam_fault *f)
{
	struct diam_self self = self_for(c);

	LOGP(DDIAM, LOGL_INFO, "%s: cmd %u app %u: %u %s\n", c->peer_host, h->code, h->app, f->result,
	     f->text ? f->text : "");
	EMIT(c, diam_error_encode(&b_, h, diam_session_id(msg, len), &self, f));
	ctr_inc(S13_TX_ERROR);
	switch (f->result) {
	case DIAM_MISSING_AVP: ctr_inc(ERR_MISSING_AVP); break;
	case DIAM_AVP_UNSUPPORTED: ctr_inc(ERR_AVP_UNSUPPORTED); break;
	case DIAM_INVALID_AVP_VALUE:
	case DIAM_AVP_OCCURS_TOO_MANY_TIMES:
	case DIAM_INVALID_AVP_LENGTH: ctr_inc(ERR_INVALID_AVP); break;
	case DIAM_COMMAND_UNSUPPORTED: ctr_inc(ERR_COMMAND_UNSUPPORTED); break;
	case DIAM_APPLICATION_UNSUPPORTED: ctr_inc(ERR_APPLICATION_UNSUPPORTED); break;
	case DIAM_INVALID_HDR_BITS: ctr_inc(ERR_INVALID_HDR_BITS); break;
	default: ctr_inc(ERR_OTHER); break;
	}
}

static void handle_ecr(struct conn *c, const uint8_t *msg, size_t len, const struct diam_hdr *h)
{
	static const int tx_ctr[EIR_VERDICT_COUNT] = {
		[EIR_WHITELISTED] = S13_TX_WHITE, [EIR_BLACKLISTED] = S13_TX_BLACK,
		[EIR_GREYLISTED] = S13_TX_GREY, [EIR_UNKNOWN] = S13_TX_UNKNOWN,
	};
	struct diam_self self = self_for(c);
	struct s13_ecr r;
	struct diam_fault f;
	struct eir_query q = { 0 };
	struct eir_result res;

	if (g_eird->counting)
		ctr_inc(S13_RX_ECR);
	if (s13_ecr_decode(msg, len, &r, &f)) {
		answer_error(c, msg, len, h, &f);
		return;
	}
	q.imei_err = eir_imei_parse((const char *)r.imei.p, r.imei.n, g_eird->policy.imei_flags, &q.imei);
	if (!q.imei_err && r.has_software_version && r.software_version.n == 2 &&
	    r.software_version.p[0] >= '0' && r.software_version.p[0] <= '9' &&
	    r.software_version.p[1] >= '0' && r.software_version.p[1] <= '9')
		q.imei.svn = (r.software_version.p[0] - '0') * 10 + (r.software_version.p[1] - '0');
	if (r.has_user_name && eir_imsi_parse((const char *)r.user_name.p, r.user_name.n, &q.imsi))
		q.imsi = 0;	/* not an IMSI: judged without pairing */
	eird_check(&q, &res);
	EMIT(c, s13_eca_encode(&b_, h, r.session_id, &self,
			       res.verdict == EIR_UNKNOWN ? -1 : (int)res.verdict));
	if (g_eird->counting) {
		ctr_inc(tx_ctr[res.verdict]);
		c->batch_answers++;
	}
	LOGP(DDIAM, LOGL_DEBUG, "%s: IMEI %.*s -> %s (%s)\n", c->peer_host, (int)r.imei.n, r.imei.p,
	     eir_verdict_name(res.verdict), eir_branch_name(res.branch));
}

static void handle_msg(struct conn *c, const uint8_t *msg, size_t len)
{
	struct diam_self self = self_for(c);
	struct diam_peer_req pr;
	struct diam_hdr h;
	struct diam_fault f;

	diam_hdr_parse(msg, &h);
	if (!(h.flags & DIAM_FLAG_R)) {
		if (h.code == DIAM_CMD_DW)
			c->dwr_pending = false;	/* our DWR answered */
		return;
	}
	if (diam_check_header(&h, &f)) {
		answer_error(c, msg, len, &h, &f);
		return;
	}
	if (c->state == WAIT_CER) {
		if (h.code != DIAM_CMD_CE || h.app != DIAM_APP_BASE) {
			/* Nothing but CER before the exchange: drop the transport. */
			LOGP(DDIAM, LOGL_NOTICE, "%s: command %u before CER, closing\n", c->remote_addr, h.code);
			close_after_send(c);
			return;
		}
		handle_cer(c, msg, len, &h);
		return;
	}
	if (c->state != OPEN)
		return;
	switch (h.app == DIAM_APP_BASE ? h.code : h.app == DIAM_APP_S13 ? h.code + 100000 : 0) {
	case DIAM_CMD_DW:
		ctr_inc(DIAM_RX_DWR);
		if (diam_peer_req_decode(msg, len, &pr, &f))
			answer_error(c, msg, len, &h, &f);
		else
			EMIT(c, diam_dwa_encode(&b_, &h, &self));
		break;
	case DIAM_CMD_DP:
		ctr_inc(DIAM_RX_DPR);
		if (diam_peer_req_decode(msg, len, &pr, &f)) {
			answer_error(c, msg, len, &h, &f);
			break;
		}
		EMIT(c, diam_dpa_encode(&b_, &h, &self));
		LOGP(DDIAM, LOGL_NOTICE, "%s: disconnect (cause %u)\n", c->peer_host, pr.disconnect_cause);
		close_after_send(c);
		break;
	case 100000 + DIAM_CMD_MEIC:
		handle_ecr(c, msg, len, &h);
		break;
	case DIAM_CMD_CE:
		f = (struct diam_fault){ .result = DIAM_UNABLE_TO_COMPLY, .text = "CER on an open connection" };
		answer_error(c, msg, len, &h, &f);
		break;
	default:
		if (h.app != DIAM_APP_BASE && h.app != DIAM_APP_S13)
			f = (struct diam_fault){ .result = DIAM_APPLICATION_UNSUPPORTED, .text = "application not supported" };
		else
			f = (struct diam_fault){ .result = DIAM_COMMAND_UNSUPPORTED, .text = "command not supported" };
		answer_error(c, msg, len, &h, &f);
		break;
	}
}

/* Readable: drain, answer everything complete, write once. */
static int read_cb(struct osmo_stream_srv *srv)
{
	struct conn *c = osmo_stream_srv_get_data(srv);
	int fd = osmo_stream_srv_get_ofd(srv)->fd;
	ssize_t n = recv(fd, c->rbuf + c->rlen, RBUF - c->rlen, 0);
	size_t off = 0;

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		LOGP(DDIAM, LOGL_INFO, "%s: %s closed the connection\n", c->remote_addr,
		     c->peer_host[0] ? c->peer_host : "peer");
		conn_close(c);
		return -EBADF;
	}
	c->rlen += (size_t)n;
	c->last_rx = time(NULL);
	c->read_ns = mono_ns();
	for (;;) {
		long len = diam_frame(c->rbuf + off, c->rlen - off, MAX_MSG);
		if (len == 0)
			break;
		if (len < 0) {
			/* The stream cannot be resynchronised: this connection
			 * only goes; every other peer keeps being served. */
			LOGP(DDIAM, LOGL_ERROR, "%s: framing error, closing\n", c->remote_addr);
			ctr_inc(DIAM_FRAMING_ERROR);
			if (c->batch_answers)
				eir_hist_add_n(&D.latency, mono_ns() - c->read_ns, c->batch_answers);
			flush(c);
			eird_batch_end();
			conn_close(c);
			return -EBADF;
		}
		handle_msg(c, c->rbuf + off, (size_t)len);
		off += (size_t)len;
	}
	eird_batch_end();
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	/* All answers of a read leave in this write: their latency inside
	 * eird is read to here, one clock reading per batch. */
	if (c->batch_answers) {
		eir_hist_add_n(&D.latency, mono_ns() - c->read_ns, c->batch_answers);
		c->batch_answers = 0;
	}
	flush(c);
	return 0;
}

static int closed_cb(struct osmo_stream_srv *srv)
{
	struct conn *c = osmo_stream_srv_get_data(srv);

	osmo_timer_del(&c->timer);
	llist_del(&c->list);
	talloc_free(c);
	return 0;
}

static int accept_cb(struct osmo_stream_srv_link *link, int fd)
{
	struct conn *c = talloc_zero(g_eird->ctx, struct conn);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->rbuf = talloc_size(c, RBUF);
	/* Not under c: the library frees srv after closed_cb has freed c. */
	c->srv = osmo_stream_srv_create(g_eird->ctx, link, fd, read_cb, closed_cb, c);
	if (!c->rbuf || !c->srv) {
		close(fd);
		talloc_free(c);
		return -ENOMEM;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->remote_addr, sizeof(c->remote_addr));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->remote_addr, sizeof(c->remote_addr));
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET)
		memcpy(c->local_ipv4[0], &((struct sockaddr_in *)&ss)->sin_addr, 4);
	c->state = WAIT_CER;
	c->last_rx = time(NULL);
	c->next_hbh = (uint32_t)random();
	osmo_timer_setup(&c->timer, timer_cb, c);
	arm_timer(c, D.watchdog * 1000);	/* a CER must come within Tw */
	llist_add_tail(&c->list, &D.conns);
	LOGP(DDIAM, LOGL_INFO, "%s: connected\n", c->remote_addr);
	return 0;
}

struct rate_ctr_group *diameter_counters(void)
{
	return D.ctrs;
}

struct eir_hist *diameter_latency(void)
{
	return &D.latency;
}

void diameter_foreach_conn(void (*fn)(void *ctx, const char *peer, const char *addr, const char *state),
			   void *ctx)
{
	static const char *const st[] = { "wait-cer", "open", "closing" };
	struct conn *c;

	llist_for_each_entry(c, &D.conns, list)
		fn(ctx, c->peer_host[0] ? c->peer_host : "-", c->remote_addr, st[c->state]);
}

int diameter_start(void)
{
	struct listen_cfg *l;

	if (llist_empty(&D.listens))
		return 0;
	if (!D.origin_host || !D.origin_realm) {
		LOGP(DDIAM, LOGL_FATAL, "diameter: origin-host and origin-realm must be configured\n");
		return -EINVAL;
	}
	D.ctrs = rate_ctr_group_alloc(g_eird->ctx, &diam_ctrg_desc, 0);
	llist_for_each_entry(l, &D.listens, list) {
		l->link = osmo_stream_srv_link_create(g_eird->ctx);
		osmo_stream_srv_link_set_addr(l->link, l->addr);
		osmo_stream_srv_link_set_port(l->link, l->port);
		osmo_stream_srv_link_set_proto(l->link, l->sctp ? IPPROTO_SCTP : IPPROTO_TCP);
		osmo_stream_srv_link_set_nodelay(l->link, true);
		osmo_stream_srv_link_set_accept_cb(l->link, accept_cb);
		if (osmo_stream_srv_link_open(l->link) < 0) {
			LOGP(DDIAM, LOGL_FATAL, "diameter: cannot listen on %s %s %u%s\n",
			     l->sctp ? "sctp" : "tcp", l->addr, l->port,
			     l->sctp ? " (does this kernel have SCTP?)" : "");
			return -EADDRNOTAVAIL;
		}
		LOGP(DDIAM, LOGL_NOTICE, "diameter: listening on %s %s %u\n", l->sctp ? "sctp" : "tcp",
		     l->addr, l->port);
	}
	return 0;
}

/* ------------------------------------------------------------- VTY */

static struct cmd_node diameter_node = { .node = DIAMETER_NODE, .prompt = "%s(config-diameter)# ", .vtysh = 1 };

DEFUN(cfg_diameter, cfg_diameter_cmd, "diameter", "Configure the Diameter S13 front end\n")
{
	vty->node = DIAMETER_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_origin_host, cfg_origin_host_cmd, "origin-host FQDN",
      "Our Origin-Host (DiameterIdentity)\n" "Fully qualified name\n")
{
	osmo_talloc_replace_string(g_eird->ctx, &D.origin_host, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_origin_realm, cfg_origin_realm_cmd, "origin-realm REALM",
      "Our Origin-Realm\n" "Realm\n")
{
	osmo_talloc_replace_string(g_eird->ctx, &D.origin_realm, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_listen, cfg_listen_cmd, "listen (tcp|sctp) ADDR [<1-65535>]",
      "Accept Diameter connections\n" "over TCP\n" "over SCTP\n" "Local address\n"
      "Port (default 3868)\n")
{
	struct listen_cfg *l = talloc_zero(g_eird->ctx, struct listen_cfg);

	l->sctp = !strcmp(argv[0], "sctp");
	l->addr = talloc_strdup(l, argv[1]);
	l->port = argc > 2 ? (uint16_t)atoi(argv[2]) : DIAM_PORT;
	llist_add_tail(&l->list, &D.listens);
	return CMD_SUCCESS;
}

DEFUN(cfg_watchdog, cfg_watchdog_cmd, "watchdog-interval <6-3600>",
      "Tw: send DWR after this many idle seconds, close after as many more without DWA\n"
      "Seconds (default 30)\n")
{
	D.watchdog = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static void add_peer(const char *host, const char *addr)
{
	struct peer_cfg *p = talloc_zero(g_eird->ctx, struct peer_cfg);

	p->host = talloc_strdup(p, host);
	if (addr)
		p->addr = talloc_strdup(p, addr);
	llist_add_tail(&p->list, &D.peers);
}

DEFUN(cfg_peer, cfg_peer_cmd, "peer FQDN",
      "Allow a peer by its Origin-Host\n" "Origin-Host of the peer\n")
{
	add_peer(argv[0], NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_peer_addr, cfg_peer_addr_cmd, "peer FQDN address ADDR",
      "Allow a peer by its Origin-Host\n" "Origin-Host of the peer\n"
      "Only from this source address\n" "IP address\n")
{
	add_peer(argv[0], argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_peer, cfg_no_peer_cmd, "no peer FQDN",
      NO_STR "Remove a peer from the allow-list\n" "Origin-Host of the peer\n")
{
	struct peer_cfg *p, *tmp;

	llist_for_each_entry_safe(p, tmp, &D.peers, list) {
		if (!strcasecmp(p->host, argv[0])) {
			llist_del(&p->list);
			talloc_free(p);
			return CMD_SUCCESS;
		}
	}
	vty_out(vty, "%% no peer %s%s", argv[0], VTY_NEWLINE);
	return CMD_WARNING;
}

DEFUN(show_diameter_peers, show_diameter_peers_cmd, "show diameter peers",
      SHOW_STR "Diameter front end\n" "Connected peers and their state\n")
{
	static const char *const st[] = { "wait-cer", "open", "closing" };
	struct conn *c;

	llist_for_each_entry(c, &D.conns, list)
		vty_out(vty, "%-40s %-16s %s%s", c->peer_host[0] ? c->peer_host : "-", c->remote_addr,
			st[c->state], VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_diameter(struct vty *vty)
{
	struct listen_cfg *l;
	struct peer_cfg *p;

	vty_out(vty, "diameter%s", VTY_NEWLINE);
	if (D.origin_host)
		vty_out(vty, " origin-host %s%s", D.origin_host, VTY_NEWLINE);
	if (D.origin_realm)
		vty_out(vty, " origin-realm %s%s", D.origin_realm, VTY_NEWLINE);
	llist_for_each_entry(l, &D.listens, list)
		vty_out(vty, " listen %s %s %u%s", l->sctp ? "sctp" : "tcp", l->addr, l->port, VTY_NEWLINE);
	vty_out(vty, " watchdog-interval %u%s", D.watchdog, VTY_NEWLINE);
	llist_for_each_entry(p, &D.peers, list) {
		if (p->addr)
			vty_out(vty, " peer %s address %s%s", p->host, p->addr, VTY_NEWLINE);
		else
			vty_out(vty, " peer %s%s", p->host, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

void diameter_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_diameter_cmd);
	install_node(&diameter_node, config_write_diameter);
	install_element(DIAMETER_NODE, &cfg_origin_host_cmd);
	install_element(DIAMETER_NODE, &cfg_origin_realm_cmd);
	install_element(DIAMETER_NODE, &cfg_listen_cmd);
	install_element(DIAMETER_NODE, &cfg_watchdog_cmd);
	install_element(DIAMETER_NODE, &cfg_peer_cmd);
	install_element(DIAMETER_NODE, &cfg_peer_addr_cmd);
	install_element(DIAMETER_NODE, &cfg_no_peer_cmd);
	install_element_ve(&show_diameter_peers_cmd);
}
