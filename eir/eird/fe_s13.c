/* eird's Diameter S13 front end: listeners, the transport of each
 * connection, timers and counters around the responder state machine of
 * peer.c. eird owns every accepted socket: reads drain all complete
 * messages, answers collect in one bounded output buffer per connection and
 * leave in one write per read. A peer that does not read its answers stops
 * being read once its output reaches the limit, and is closed when it stays
 * there for Tw; other peers never wait for it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/sctp.h>	/* MSG_NOTIFICATION */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
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
#include "eird.h"
#include "hist.h"
#include "imei.h"
#include "msg.h"
#include "peer.h"
#include "record.h"

#define DIAM_PORT 3868
#define MAX_MSG (16 * 1024)		/* largest message accepted */
#define RBUF (4 * MAX_MSG)
#define ANSWER_ROOM DIAM_PEER_ANSWER_ROOM(MAX_MSG)
#define OUT_INITIAL (64 * 1024)
#define DEFAULT_OUTPUT_LIMIT 1024	/* KiB of answers a peer may leave unread */
#define CLOSE_GRACE_MS 500

/* The counters: those of the state machine (peer.h), then the transport's. */
enum {
	DIAM_TX_DWR = DIAM_EV_COUNT,
	DIAM_FRAMING_ERROR,
	DIAM_WATCHDOG_CLOSE,
	DIAM_OUTPUT_PAUSED,
	DIAM_OUTPUT_CLOSE,
	DIAM_CTR_COUNT
};

static const struct rate_ctr_desc diam_ctr_desc[] = {
	[DIAM_EV_RX_ECR] = { "s13:rx:ecr", "ME-Identity-Check requests received" },
	[DIAM_EV_TX_WHITELISTED] = { "s13:tx:whitelisted", "Answers with Equipment-Status WHITELISTED" },
	[DIAM_EV_TX_BLACKLISTED] = { "s13:tx:blacklisted", "Answers with Equipment-Status BLACKLISTED" },
	[DIAM_EV_TX_GREYLISTED] = { "s13:tx:greylisted", "Answers with Equipment-Status GREYLISTED" },
	[DIAM_EV_TX_UNKNOWN] = { "s13:tx:unknown", "Answers with Experimental-Result 5422" },
	[DIAM_EV_TX_ERROR] = { "diameter:tx:error", "Error answers (protocol and permanent failures)" },
	[DIAM_EV_CER_ACCEPTED] = { "diameter:cer:accepted", "Peers accepted by CER" },
	[DIAM_EV_CER_REFUSED] = { "diameter:cer:refused", "CERs refused (unknown peer, no common application, malformed)" },
	[DIAM_EV_RX_DWR] = { "diameter:rx:dwr", "Device-Watchdog-Requests received" },
	[DIAM_EV_RX_DPR] = { "diameter:rx:dpr", "Disconnect-Peer-Requests received" },
	[DIAM_EV_ERR_MISSING_AVP] = { "diameter:error:missing-avp", "Answered 5005: a mandatory AVP missing" },
	[DIAM_EV_ERR_AVP_UNSUPPORTED] = { "diameter:error:avp-unsupported", "Answered 5001: unsupported AVP with the M bit" },
	[DIAM_EV_ERR_INVALID_AVP] = { "diameter:error:invalid-avp", "Answered 5004, 5009 or 5014: bad AVP value, count or length" },
	[DIAM_EV_ERR_COMMAND_UNSUPPORTED] = { "diameter:error:command-unsupported", "Answered 3001: unknown command" },
	[DIAM_EV_ERR_APPLICATION_UNSUPPORTED] = { "diameter:error:application-unsupported", "Answered 3007: unknown application" },
	[DIAM_EV_ERR_HEADER_BITS] = { "diameter:error:header-bits", "Answered 3008: invalid header bits" },
	[DIAM_EV_ERR_OTHER] = { "diameter:error:other", "Other error answers" },
	[DIAM_TX_DWR] = { "diameter:tx:dwr", "Device-Watchdog-Requests sent" },
	[DIAM_FRAMING_ERROR] = { "diameter:framing-error", "Connections closed on a framing error" },
	[DIAM_WATCHDOG_CLOSE] = { "diameter:watchdog-close", "Connections closed: no DWA within Tw" },
	[DIAM_OUTPUT_PAUSED] = { "diameter:output:paused", "Reading paused: a peer left output-limit of answers unread" },
	[DIAM_OUTPUT_CLOSE] = { "diameter:output:close", "Connections closed: answers left unread for Tw" },
};

osmo_static_assert(ARRAY_SIZE(diam_ctr_desc) == DIAM_CTR_COUNT, diam_ctr_desc_matches_enum);

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

/* An IP address as compared: IPv4 also when it came as ::ffff:a.b.c.d
 * on a dual-stack socket. */
struct ipaddr {
	int family;		/* AF_INET, AF_INET6, 0: none */
	uint8_t a[16];
};

struct peer_cfg {
	struct llist_head list;
	char *host;
	char *addr;	/* as configured; NULL: any source address */
	struct ipaddr ip;
};

struct conn {
	struct llist_head list;
	struct osmo_fd ofd;
	struct diam_peer peer;
	/* Our identity as this connection announced it in its CEA: a change
	 * on the VTY applies to connections opened after it. */
	char origin_host[256], origin_realm[256];
	char remote_addr[INET6_ADDRSTRLEN];
	struct ipaddr remote;
	uint8_t local_ipv4[1][4];
	uint8_t local_ipv6[1][16];
	uint8_t *rbuf;
	size_t rlen;
	uint8_t *obuf;		/* answers not yet written: obuf[ooff..olen) */
	size_t ooff, olen, ocap;
	bool paused;		/* reading stopped: output over the limit */
	bool draining;		/* the peer closed its side: write what it asked, then close */
	bool sctp;
	struct osmo_timer_list timer;	/* CER wait, watchdog, close grace */
	struct osmo_timer_list stall;	/* closes a peer paused for Tw */
	uint64_t last_rx_ns;	/* monotonic: the watchdog counts from it */
	uint64_t read_ns;	/* when the current batch was read */
	unsigned batch_answers;	/* S13 answers in it, for the latency histogram */
	uint32_t next_hbh;
};

static struct {
	char *origin_host, *origin_realm;
	unsigned watchdog;		/* Tw, seconds */
	unsigned output_limit;		/* KiB */
	struct llist_head listens, peers, conns;
	struct rate_ctr_group *ctrs;
	struct eir_hist latency;
} D = {
	.watchdog = 30,
	.output_limit = DEFAULT_OUTPUT_LIMIT,
	.listens = LLIST_HEAD_INIT(D.listens),
	.peers = LLIST_HEAD_INIT(D.peers),
	.conns = LLIST_HEAD_INIT(D.conns),
};

static void ctr_inc(int i)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(D.ctrs, i));
}

static const char *who(const struct conn *c)
{
	return c->peer.host[0] ? c->peer.host : c->remote_addr;
}

static bool ipaddr_equal(const struct ipaddr *x, const struct ipaddr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, x->family == AF_INET ? 4 : 16);
}

static bool ipaddr_parse(const char *s, struct ipaddr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->a) == 1)
		ip->family = AF_INET6;
	else
		return false;
	if (ip->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)ip->a)) {
		memmove(ip->a, ip->a + 12, 4);
		ip->family = AF_INET;
	}
	return true;
}

static void ipaddr_from_sockaddr(const struct sockaddr_storage *ss, struct ipaddr *ip)
{
	char text[INET6_ADDRSTRLEN] = "";

	memset(ip, 0, sizeof(*ip));
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, text, sizeof(text));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, text, sizeof(text));
	ipaddr_parse(text, ip);
}

static void ipaddr_print(const struct ipaddr *ip, char *buf, size_t sz)
{
	if (!ip->family || !inet_ntop(ip->family, ip->a, buf, (socklen_t)sz))
		snprintf(buf, sz, "?");
}

/* ------------------------------------------------------------- state machine callbacks */

static const char *allow_cb(void *ctx, struct diam_str host)
{
	struct conn *c = ctx;
	struct peer_cfg *p;

	llist_for_each_entry(p, &D.peers, list) {
		if (strlen(p->host) == host.n && !strncasecmp(p->host, (const char *)host.p, host.n) &&
		    (!p->addr || ipaddr_equal(&p->ip, &c->remote)))
			return p->host;
	}
	return NULL;
}

static int check_cb(void *ctx, const struct s13_ecr *r)
{
	struct conn *c = ctx;
	struct eir_query q = { 0 };
	struct eir_result res;

	q.imei_err = eir_imei_parse((const char *)r->imei.p, r->imei.n, g_eird->cfg.policy.imei_flags, &q.imei);
	if (!q.imei_err && r->has_software_version && r->software_version.n == 2 &&
	    r->software_version.p[0] >= '0' && r->software_version.p[0] <= '9' &&
	    r->software_version.p[1] >= '0' && r->software_version.p[1] <= '9')
		q.imei.svn = (r->software_version.p[0] - '0') * 10 + (r->software_version.p[1] - '0');
	if (r->has_user_name && eir_imsi_parse((const char *)r->user_name.p, r->user_name.n, &q.imsi))
		q.imsi = 0;	/* not an IMSI: judged without pairing */
	eird_check(EIRD_IF_S13, &q, &res);
	if (log_check_level(DDIAM, LOGL_DEBUG)) {
		char imei[64];
		LOGP(DDIAM, LOGL_DEBUG, "%s: IMEI %s -> %s (%s)\n", who(c),
		     osmo_escape_str_buf((const char *)r->imei.p, (int)r->imei.n, imei, sizeof(imei)),
		     eir_verdict_name(res.verdict), eir_branch_name(res.branch));
	}
	/* Equipment-Status values of TS 29.272 7.3.51, by verdict. */
	switch (res.verdict) {
	case EIR_WHITELISTED: return 0;
	case EIR_BLACKLISTED: return 1;
	case EIR_GREYLISTED: return 2;
	default: return -1;
	}
}

static void event_cb(void *ctx, enum diam_peer_event ev)
{
	struct conn *c = ctx;

	switch (ev) {
	case DIAM_EV_RX_ECR:
		if (g_eird->cfg.counting)
			ctr_inc(ev);
		return;
	case DIAM_EV_TX_WHITELISTED:
	case DIAM_EV_TX_BLACKLISTED:
	case DIAM_EV_TX_GREYLISTED:
	case DIAM_EV_TX_UNKNOWN:
		if (g_eird->cfg.counting) {
			ctr_inc(ev);
			c->batch_answers++;
		}
		return;
	default:
		ctr_inc(ev);
		return;
	}
}

static void log_cb(void *ctx, enum diam_peer_log level, const char *fmt, ...)
{
	static const int lvl[] = { [DIAM_LOG_DEBUG] = LOGL_DEBUG, [DIAM_LOG_INFO] = LOGL_INFO,
				   [DIAM_LOG_NOTICE] = LOGL_NOTICE };
	struct conn *c = ctx;
	char text[1024];
	va_list ap;

	if (!log_check_level(DDIAM, lvl[level]))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	LOGP(DDIAM, lvl[level], "%s: %s", who(c), text);
}

static const struct diam_peer_ops peer_ops = {
	.allow = allow_cb, .check = check_cb, .event = event_cb, .log = log_cb,
};

/* ------------------------------------------------------------- lifecycle */

static void conn_close(struct conn *c)
{
	osmo_timer_del(&c->timer);
	osmo_timer_del(&c->stall);
	osmo_fd_unregister(&c->ofd);
	close(c->ofd.fd);
	llist_del(&c->list);
	talloc_free(c);
}

static void arm_timer(struct conn *c, unsigned ms)
{
	osmo_timer_schedule(&c->timer, ms / 1000, (ms % 1000) * 1000);
}

/* ------------------------------------------------------------- output */

static size_t pending(const struct conn *c)
{
	return c->olen - c->ooff;
}

static size_t limit_bytes(void)
{
	return (size_t)D.output_limit * 1024;
}

/* Room for one answer at the end of the output; NULL when out of memory.
 * The buffer never holds more than the limit plus one answer. */
static uint8_t *out_room(struct conn *c, size_t n)
{
	if (c->olen + n <= c->ocap)
		return c->obuf + c->olen;
	if (c->ooff) {
		memmove(c->obuf, c->obuf + c->ooff, pending(c));
		c->olen -= c->ooff;
		c->ooff = 0;
		if (c->olen + n <= c->ocap)
			return c->obuf + c->olen;
	}
	size_t cap = c->ocap ? c->ocap : OUT_INITIAL;
	while (cap < c->olen + n)
		cap *= 2;
	if (cap > limit_bytes() + ANSWER_ROOM + 512 && c->olen + n <= limit_bytes() + ANSWER_ROOM + 512)
		cap = limit_bytes() + ANSWER_ROOM + 512;	/* the most it ever holds */
	uint8_t *p = talloc_realloc_size(c, c->obuf, cap);
	if (!p)
		return NULL;
	c->obuf = p, c->ocap = cap;
	return c->obuf + c->olen;
}

/* Write what is pending without blocking; -1 when the connection broke
 * (and is gone). */
static int out_write(struct conn *c)
{
	while (pending(c)) {
		ssize_t n = send(c->ofd.fd, c->obuf + c->ooff, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			LOGP(DDIAM, LOGL_NOTICE, "%s: connection lost: %s\n", who(c), strerror(errno));
			conn_close(c);
			return -1;
		}
		c->ooff += (size_t)n;
	}
	if (pending(c)) {
		osmo_fd_write_enable(&c->ofd);
		return 0;
	}
	c->ooff = c->olen = 0;
	osmo_fd_write_disable(&c->ofd);
	if (c->draining) {
		LOGP(DDIAM, LOGL_INFO, "%s: answers written after the peer's close\n", who(c));
		conn_close(c);
		return -1;
	}
	if (c->ocap > OUT_INITIAL) {
		/* After a burst: give the memory back. */
		uint8_t *p = talloc_realloc_size(c, c->obuf, OUT_INITIAL);
		if (p)
			c->obuf = p, c->ocap = OUT_INITIAL;
	}
	return 0;
}

/* ------------------------------------------------------------- timers */

static void timer_cb(void *data)
{
	struct conn *c = data;
	struct diam_buf b;
	uint8_t *p;
	long n;

	if (c->peer.state != DIAM_PEER_OPEN) {
		LOGP(DDIAM, LOGL_NOTICE, "%s: closing (%s)\n", who(c),
		     c->peer.state == DIAM_PEER_WAIT_CER ? "no CER in time" : "after answer");
		conn_close(c);
		return;
	}
	if (c->peer.dwa_pending) {
		LOGP(DDIAM, LOGL_ERROR, "%s: no DWA within %u s, closing\n", who(c), D.watchdog);
		ctr_inc(DIAM_WATCHDOG_CLOSE);
		conn_close(c);
		return;
	}
	/* Tw counts from the last message received, jittered by up to 2 s
	 * late (RFC 3539 3.4.1); until then, sleep the rest of it. */
	uint64_t idle = (eird_now_ns() - c->last_rx_ns) / 1000000000ULL;
	if (idle < D.watchdog) {
		long rest_ms = ((long)D.watchdog - (long)idle) * 1000 + random() % 2000;
		arm_timer(c, rest_ms < 200 ? 200 : (unsigned)rest_ms);
		return;
	}
	/* A peer that does not read gets no DWR: the stall timer has it. */
	if (!c->paused && (p = out_room(c, 512))) {
		diam_buf_init(&b, p, 512);
		n = diam_dwr_encode(&b, &c->peer.self, c->next_hbh++, (uint32_t)random());
		if (n > 0) {
			c->olen += (size_t)n;
			c->peer.dwa_pending = true;
			ctr_inc(DIAM_TX_DWR);
			if (out_write(c) < 0)
				return;
		}
	}
	/* The DWA must come within Tw. */
	arm_timer(c, D.watchdog * 1000);
}

static void stall_cb(void *data)
{
	struct conn *c = data;

	LOGP(DDIAM, LOGL_ERROR, "%s: does not read its answers (%zu bytes unread for %u s), closing\n", who(c),
	     pending(c), D.watchdog);
	ctr_inc(DIAM_OUTPUT_CLOSE);
	conn_close(c);
}

/* ------------------------------------------------------------- input */

/* A new connection of a peer (it restarted, or its old transport died
 * unnoticed) replaces its old one. */
static void retire_older(struct conn *c)
{
	struct conn *other, *tmp;

	llist_for_each_entry_safe(other, tmp, &D.conns, list) {
		if (other != c && other->peer.state == DIAM_PEER_OPEN && !strcasecmp(other->peer.host, c->peer.host)) {
			LOGP(DDIAM, LOGL_NOTICE, "%s: new connection from %s replaces the old one from %s\n",
			     c->peer.host, c->remote_addr, other->remote_addr);
			conn_close(other);
		}
	}
}

/* Answer the complete messages in the read buffer while the output is
 * under the limit. Returns -1 when the connection is gone. */
static int answer_some(struct conn *c)
{
	size_t off = 0, n;
	int rc = 0;

	while (pending(c) < limit_bytes()) {
		long len = diam_frame(c->rbuf + off, c->rlen - off, MAX_MSG);
		uint8_t *room;

		if (len == 0)
			break;
		if (len < 0) {
			/* The stream cannot be resynchronised: this connection
			 * only goes; every other peer keeps being served. */
			LOGP(DDIAM, LOGL_ERROR, "%s: framing error, closing\n", who(c));
			ctr_inc(DIAM_FRAMING_ERROR);
			rc = -1;
			break;
		}
		room = out_room(c, ANSWER_ROOM);
		if (!room) {
			LOGP(DDIAM, LOGL_ERROR, "%s: out of memory, closing\n", who(c));
			rc = -1;
			break;
		}
		enum diam_peer_action act = diam_peer_input(&c->peer, c->rbuf + off, (size_t)len, room,
							    ANSWER_ROOM, &n);
		c->olen += n;
		off += (size_t)len;
		if (act == DIAM_PEER_OPENED) {
			LOGP(DDIAM, LOGL_NOTICE, "%s: peer %s open\n", c->remote_addr, c->peer.host);
			retire_older(c);
			arm_timer(c, D.watchdog * 1000);
		} else if (act == DIAM_PEER_CLOSE_AFTER) {
			arm_timer(c, CLOSE_GRACE_MS);
		} else if (act == DIAM_PEER_CLOSE) {
			rc = -1;
			break;
		}
	}
	eird_batch_end();
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	/* All answers of a read leave in this write: their latency inside
	 * eird is read to here, one clock reading per batch. */
	if (c->batch_answers) {
		eir_hist_add_n(&D.latency, eird_now_ns() - c->read_ns, c->batch_answers);
		c->batch_answers = 0;
	}
	if (rc < 0) {
		/* What was answered goes out if the socket takes it now. */
		if (pending(c))
			(void)send(c->ofd.fd, c->obuf + c->ooff, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_close(c);
		return -1;
	}
	return out_write(c);
}

static bool complete_msg(const struct conn *c)
{
	return diam_frame(c->rbuf, c->rlen, MAX_MSG) != 0;
}

/* Answer what was read, write, and again while the socket takes the
 * answers; pause when it does not. -1 when the connection is gone. */
static int process(struct conn *c)
{
	do {
		if (answer_some(c) < 0)
			return -1;
	} while (pending(c) < limit_bytes() && complete_msg(c));
	if (!c->paused && pending(c) >= limit_bytes()) {
		/* The peer does not read: stop reading it (TCP pushes back),
		 * and give it Tw to drain before it is closed. */
		c->paused = true;
		osmo_fd_read_disable(&c->ofd);
		osmo_timer_schedule(&c->stall, D.watchdog, 0);
		ctr_inc(DIAM_OUTPUT_PAUSED);
		LOGP(DDIAM, LOGL_NOTICE, "%s: %zu bytes of answers unread, not reading until it reads\n", who(c),
		     pending(c));
	}
	return 0;
}

static int conn_read(struct conn *c)
{
	struct iovec iov = { .iov_base = c->rbuf + c->rlen, .iov_len = RBUF - c->rlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(c->ofd.fd, &mh, 0);

	/* On SCTP the stack's notifications (association, address changes)
	 * come in the same stream, flagged: they are not Diameter. */
	if (n > 0 && c->sctp && (mh.msg_flags & MSG_NOTIFICATION))
		return 0;
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0)
			LOGP(DDIAM, LOGL_NOTICE, "%s: connection lost: %s\n", who(c), strerror(errno));
		else
			LOGP(DDIAM, LOGL_NOTICE, "%s: peer %s closed the connection\n", c->remote_addr,
			     c->peer.host[0] ? c->peer.host : "(before CER)");
		if (n == 0 && pending(c)) {
			/* A half-close: what it asked for still goes, within Tw. */
			c->draining = true;
			osmo_fd_read_disable(&c->ofd);
			osmo_timer_schedule(&c->stall, D.watchdog, 0);
			return 0;
		}
		conn_close(c);
		return -1;
	}
	c->rlen += (size_t)n;
	c->last_rx_ns = eird_now_ns();
	c->read_ns = eird_now_ns();
	return process(c);
}

static int conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct conn *c = ofd->data;

	if (what & OSMO_FD_WRITE) {
		if (out_write(c) < 0)
			return 0;
		if (c->paused && !c->draining && pending(c) <= limit_bytes() / 2) {
			/* It reads again: answer what waited, then read on. */
			c->paused = false;
			osmo_timer_del(&c->stall);
			osmo_fd_read_enable(&c->ofd);
			c->read_ns = eird_now_ns();
			if (process(c) < 0)
				return 0;
			if (c->paused)
				return 0;
		}
	}
	if ((what & OSMO_FD_READ) && !c->paused && !c->draining)
		conn_read(c);
	return 0;
}

static int accept_cb(struct osmo_stream_srv_link *link, int fd)
{
	struct conn *c = talloc_zero(g_eird->ctx, struct conn);
	struct listen_cfg *l;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct diam_self self;
	struct ipaddr local = { 0 };

	/* On an error return libosmo-netif closes fd itself. */
	if (!c)
		return -ENOMEM;
	llist_for_each_entry(l, &D.listens, list)
		if (l->link == link)
			c->sctp = l->sctp;
	c->rbuf = talloc_size(c, RBUF);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_cb, c, 0);
	if (!c->rbuf || osmo_fd_register(&c->ofd) < 0) {
		talloc_free(c);
		return -ENOMEM;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		ipaddr_from_sockaddr(&ss, &c->remote);
	ipaddr_print(&c->remote, c->remote_addr, sizeof(c->remote_addr));
	/* Host-IP-Address: the address this peer reached us on. */
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		ipaddr_from_sockaddr(&ss, &local);
	if (local.family == AF_INET6)
		memcpy(c->local_ipv6[0], local.a, 16);
	else if (local.family == AF_INET)
		memcpy(c->local_ipv4[0], local.a, 4);
	snprintf(c->origin_host, sizeof(c->origin_host), "%s", D.origin_host);
	snprintf(c->origin_realm, sizeof(c->origin_realm), "%s", D.origin_realm);
	self = (struct diam_self){
		.origin_host = c->origin_host, .origin_realm = c->origin_realm, .product_name = "eird",
		.vendor_id = 0, .firmware_revision = 0,
		.ipv4 = c->local_ipv4, .n_ipv4 = local.family == AF_INET6 ? 0 : 1,
		.ipv6 = c->local_ipv6, .n_ipv6 = local.family == AF_INET6 ? 1 : 0,
	};
	diam_peer_init(&c->peer, &self, &peer_ops, c);
	c->last_rx_ns = eird_now_ns();
	c->next_hbh = (uint32_t)random();
	osmo_timer_setup(&c->timer, timer_cb, c);
	osmo_timer_setup(&c->stall, stall_cb, c);
	arm_timer(c, D.watchdog * 1000);	/* a CER must come within Tw */
	llist_add_tail(&c->list, &D.conns);
	LOGP(DDIAM, LOGL_INFO, "%s: connected\n", c->remote_addr);
	return 0;
}

static struct rate_ctr_group *s13_counters(void)
{
	return D.ctrs;
}

static struct eir_hist *s13_latency(void)
{
	return D.ctrs ? &D.latency : NULL;
}

static bool has_conn(const struct peer_cfg *p)
{
	struct conn *c;

	llist_for_each_entry(c, &D.conns, list) {
		if (c->peer.state != DIAM_PEER_WAIT_CER && !strcasecmp(c->peer.host, p->host))
			return true;
	}
	return false;
}

static void s13_foreach_peer(eird_peer_fn fn, void *ctx)
{
	struct eird_peer e;
	struct peer_cfg *p;
	struct conn *c;

	/* Every connection, then each allow-listed peer without one. */
	llist_for_each_entry(c, &D.conns, list) {
		e = (struct eird_peer){
			.host = c->peer.host[0] ? c->peer.host : "-", .addr = c->remote_addr,
			.state = c->paused ? "stalled" : diam_peer_state_name(c->peer.state),
			.up = c->peer.state == DIAM_PEER_OPEN,
		};
		fn(ctx, &e);
	}
	llist_for_each_entry(p, &D.peers, list) {
		if (!has_conn(p)) {
			e = (struct eird_peer){ .host = p->host, .addr = p->addr ? p->addr : "any", .state = "down" };
			fn(ctx, &e);
		}
	}
}

static void s13_stop(void)
{
	struct conn *c, *tmp;

	llist_for_each_entry_safe(c, tmp, &D.conns, list)
		conn_close(c);
}

static int s13_start(void *ctx)
{
	struct listen_cfg *l;

	if (llist_empty(&D.listens))
		return 0;
	if (!D.origin_host || !D.origin_realm) {
		LOGP(DDIAM, LOGL_FATAL, "diameter: origin-host and origin-realm must be configured\n");
		return -EINVAL;
	}
	D.ctrs = rate_ctr_group_alloc(ctx, &diam_ctrg_desc, 0);
	llist_for_each_entry(l, &D.listens, list) {
		l->link = osmo_stream_srv_link_create(ctx);
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
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &D.origin_host, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_origin_realm, cfg_origin_realm_cmd, "origin-realm REALM",
      "Our Origin-Realm\n" "Realm\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &D.origin_realm, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_listen, cfg_listen_cmd, "listen (tcp|sctp) ADDR [<1-65535>]",
      "Accept Diameter connections\n" "over TCP\n" "over SCTP\n" "Local address\n"
      "Port (default 3868)\n")
{
	struct listen_cfg *l;

	EIRD_CFG_APPLY_OR_RETURN();
	l = talloc_zero(g_eird->ctx, struct listen_cfg);
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
	EIRD_CFG_APPLY_OR_RETURN();
	D.watchdog = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_output_limit, cfg_output_limit_cmd, "output-limit <64-65536>",
      "Answers a peer may leave unread: over it eird stops reading that peer, and closes it after Tw\n"
      "KiB (default 1024)\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	D.output_limit = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static void add_peer(const char *host, const char *addr, const struct ipaddr *ip)
{
	struct peer_cfg *p = talloc_zero(g_eird->ctx, struct peer_cfg);

	p->host = talloc_strdup(p, host);
	if (addr) {
		p->addr = talloc_strdup(p, addr);
		p->ip = *ip;
	}
	llist_add_tail(&p->list, &D.peers);
}

DEFUN(cfg_peer, cfg_peer_cmd, "peer FQDN",
      "Allow a peer by its Origin-Host\n" "Origin-Host of the peer\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	add_peer(argv[0], NULL, NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_peer_addr, cfg_peer_addr_cmd, "peer FQDN address ADDR",
      "Allow a peer by its Origin-Host\n" "Origin-Host of the peer\n"
      "Only from this source address\n" "IP address\n")
{
	struct ipaddr ip;

	if (!ipaddr_parse(argv[1], &ip)) {
		vty_out(vty, "%% not an IPv4 or IPv6 address: %s%s", argv[1], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	add_peer(argv[0], argv[1], &ip);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_peer, cfg_no_peer_cmd, "no peer FQDN",
      NO_STR "Remove a peer from the allow-list\n" "Origin-Host of the peer\n")
{
	struct peer_cfg *p, *tmp;

	EIRD_CFG_APPLY_OR_RETURN();
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

static void vty_peer_line(void *ctx, const struct eird_peer *p)
{
	struct vty *vty = ctx;

	vty_out(vty, "%-40s %-16s %s%s", p->host, p->addr, p->state, VTY_NEWLINE);
}

DEFUN(show_diameter_peers, show_diameter_peers_cmd, "show diameter peers",
      SHOW_STR "Diameter front end\n" "Connections and allow-listed peers, with their state\n")
{
	vty_out(vty, "%-40s %-16s %s%s", "Origin-Host", "address", "state", VTY_NEWLINE);
	s13_foreach_peer(vty_peer_line, vty);
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
	if (D.output_limit != DEFAULT_OUTPUT_LIMIT)
		vty_out(vty, " output-limit %u%s", D.output_limit, VTY_NEWLINE);
	llist_for_each_entry(p, &D.peers, list) {
		if (p->addr)
			vty_out(vty, " peer %s address %s%s", p->host, p->addr, VTY_NEWLINE);
		else
			vty_out(vty, " peer %s%s", p->host, VTY_NEWLINE);
	}
	eird_vty_iface_policy_write(vty, EIRD_IF_S13);
	return CMD_SUCCESS;
}

static void s13_vty_init(void *ctx)
{
	install_element(CONFIG_NODE, &cfg_diameter_cmd);
	install_node(&diameter_node, config_write_diameter);
	install_element(DIAMETER_NODE, &cfg_origin_host_cmd);
	install_element(DIAMETER_NODE, &cfg_origin_realm_cmd);
	install_element(DIAMETER_NODE, &cfg_listen_cmd);
	install_element(DIAMETER_NODE, &cfg_watchdog_cmd);
	install_element(DIAMETER_NODE, &cfg_output_limit_cmd);
	install_element(DIAMETER_NODE, &cfg_peer_cmd);
	install_element(DIAMETER_NODE, &cfg_peer_addr_cmd);
	install_element(DIAMETER_NODE, &cfg_no_peer_cmd);
	eird_vty_iface_policy_install(EIRD_IF_S13, DIAMETER_NODE);
	install_element_ve(&show_diameter_peers_cmd);
}

const struct eird_frontend eird_fe_s13 = {
	.name = "s13",
	.title = "S13",
	.vty_init = s13_vty_init,
	.start = s13_start,
	.stop = s13_stop,
	.counters = s13_counters,
	.latency = s13_latency,
	.foreach_peer = s13_foreach_peer,
	.latency_key = "latency",
	.latency_json = "latency",
	.latency_prom = "eir_s13_latency_seconds",
	.latency_help = "S13 answer latency inside eird, read to answer.",
	.latency_item = "s13:latency",
	.peers_key = "peers_connected",
	.peers_prom = "eir_diameter_peers",
	.peers_item = "diameter:peers",
	.peers_help = "Diameter peers in the open state",
};
