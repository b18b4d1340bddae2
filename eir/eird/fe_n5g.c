/* eird's 5G front end: N5g-eir EquipmentIdentityCheck (TS 29.511) over
 * HTTP/2 on libnghttp2's server session, in eird's select loop. h2c with
 * prior knowledge, or TLS with ALPN h2 (OpenSSL). Every request is
 * answered in the loop turn that completes it; the answers of one read
 * leave in one write. A connection's unwritten output is bounded: over
 * the limit eird stops reading it (TCP pushes back on the peer) and closes
 * it when it stays there for the idle timeout; other connections never
 * wait for it. Registration in the NRF is nrf.c's; this file starts and
 * stops it. The answers and their JSON are eir/n5g's
 * (docs/protocols.md §5). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/netif/stream.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "eird.h"
#include "hist.h"
#include "n5g.h"
#include "nrf.h"
#include "profile.h"
#include "pool.h"

#define RBUF (64 * 1024)		/* one read */
#define OUT_INITIAL (16 * 1024)
#define OUTPUT_LIMIT (256 * 1024)	/* unwritten output that pauses reading */
#define MAX_TARGET 2048			/* longer request targets: 414 */
#define OVERFLOW_CONNS 16		/* over max-connections: served 503, then closed */
#define STOP_WAIT_MS 1000		/* at shutdown: to write the GOAWAYs and last answers */
#define LINGER_MS 2000			/* after our FIN: reading what the peer still sends */
#define FIRST_REQUEST_S 10		/* TLS handshake, preface and first request within this */
#define FD_RESERVE 64			/* descriptors kept for all but N5g-eir connections */

enum {
	CTR_RX_REQUEST,
	CTR_TX_WHITELISTED,
	CTR_TX_BLACKLISTED,
	CTR_TX_GREYLISTED,
	CTR_TX_UNKNOWN,
	CTR_TX_200,
	CTR_TX_400,
	CTR_TX_404,
	CTR_TX_405,
	CTR_TX_414,
	CTR_TX_431,
	CTR_TX_503,
	/* per kind of refusal: the parse errors of eir/n5g (from
	 * N5G_ERR_PATH, at CTR_ERR(e)), then ours */
	CTR_ERR_FIRST,
	CTR_ERR_METHOD = CTR_ERR_FIRST + N5G_ERR_COUNT - 1,
	CTR_ERR_URI_TOO_LONG,
	CTR_ERR_HEADERS_TOO_LARGE,
	CTR_ERR_CONGESTION,
	CTR_PEI_NOT_IMEI,
	CTR_RX_PING,
	CTR_TX_RST_STREAM,
	CTR_CONN_ACCEPTED,
	CTR_CONN_CLOSED,
	CTR_CONN_REFUSED,
	CTR_CONN_IDLE,
	CTR_CONN_STALLED,
	CTR_CONN_PROTOCOL_ERROR,
	CTR_TLS_HANDSHAKE_FAILED,
	CTR_NRF_FIRST,
	CTR_COUNT = CTR_NRF_FIRST + NRF_EV_COUNT
};

#define CTR_ERR(e) (CTR_ERR_FIRST + (e) - 1)

static const struct rate_ctr_desc n5g_ctr_desc[CTR_COUNT] = {
	[CTR_RX_REQUEST] = { "n5g:rx:request", "HTTP/2 requests received" },
	[CTR_TX_WHITELISTED] = { "n5g:tx:whitelisted", "Answers 200 WHITELISTED" },
	[CTR_TX_BLACKLISTED] = { "n5g:tx:blacklisted", "Answers 200 BLACKLISTED" },
	[CTR_TX_GREYLISTED] = { "n5g:tx:greylisted", "Answers 200 GREYLISTED" },
	[CTR_TX_UNKNOWN] = { "n5g:tx:unknown", "Answers 404 ERROR_EQUIPMENT_UNKNOWN" },
	[CTR_TX_200] = { "n5g:tx:200", "Answers with status 200" },
	[CTR_TX_400] = { "n5g:tx:400", "Answers with status 400 (a parameter missing or malformed)" },
	[CTR_TX_404] = { "n5g:tx:404", "Answers with status 404 (unknown equipment or another path)" },
	[CTR_TX_405] = { "n5g:tx:405", "Answers with status 405 (not GET)" },
	[CTR_TX_414] = { "n5g:tx:414", "Answers with status 414 (request target too long)" },
	[CTR_TX_431] = { "n5g:tx:431", "Answers with status 431 (header list too large)" },
	[CTR_TX_503] = { "n5g:tx:503", "Answers with status 503 NF_CONGESTION" },
	[CTR_ERR(N5G_ERR_PATH)] = { "n5g:error:path", "Requests for another path" },
	[CTR_ERR(N5G_ERR_PEI_MISSING)] = { "n5g:error:pei-missing", "Requests without pei" },
	[CTR_ERR(N5G_ERR_PEI_BAD)] = { "n5g:error:pei-incorrect", "Requests with a malformed pei" },
	[CTR_ERR(N5G_ERR_SUPI_BAD)] = { "n5g:error:supi-incorrect", "Requests with a malformed supi" },
	[CTR_ERR(N5G_ERR_GPSI_BAD)] = { "n5g:error:gpsi-incorrect", "Requests with a malformed gpsi" },
	[CTR_ERR(N5G_ERR_FEATURES_BAD)] = { "n5g:error:supported-features-incorrect",
						   "Requests with malformed supported-features" },
	[CTR_ERR(N5G_ERR_PARAM_UNKNOWN)] = { "n5g:error:param-unknown", "Requests with an unknown parameter" },
	[CTR_ERR(N5G_ERR_PARAM_DUPLICATE)] = { "n5g:error:param-duplicate",
						      "Requests with a parameter given twice" },
	[CTR_ERR_METHOD] = { "n5g:error:method", "Requests with a method other than GET" },
	[CTR_ERR_URI_TOO_LONG] = { "n5g:error:uri-too-long", "Request targets over 2048 bytes" },
	[CTR_ERR_HEADERS_TOO_LARGE] = { "n5g:error:headers-too-large", "Header lists over max-header-list-size" },
	[CTR_ERR_CONGESTION] = { "n5g:error:congestion", "Requests on connections over max-connections" },
	[CTR_PEI_NOT_IMEI] = { "n5g:pei:not-imei", "MAC, EUI-64 and other PEIs, answered as unknown-imei" },
	[CTR_RX_PING] = { "n5g:rx:ping", "HTTP/2 PINGs received (answered at once)" },
	[CTR_TX_RST_STREAM] = { "n5g:tx:rst-stream", "Streams reset (refused over max-concurrent-streams, malformed)" },
	[CTR_CONN_ACCEPTED] = { "n5g:conn:accepted", "Connections accepted" },
	[CTR_CONN_CLOSED] = { "n5g:conn:closed", "Connections closed" },
	[CTR_CONN_REFUSED] = { "n5g:conn:refused", "Connections closed at once: far over max-connections" },
	[CTR_CONN_IDLE] = { "n5g:conn:idle-timeout", "Connections closed after idle-timeout without a frame" },
	[CTR_CONN_STALLED] = { "n5g:conn:stalled", "Connections closed: answers left unread for idle-timeout" },
	[CTR_CONN_PROTOCOL_ERROR] = { "n5g:conn:protocol-error", "Connections ended by an HTTP/2 protocol error" },
	[CTR_TLS_HANDSHAKE_FAILED] = { "n5g:tls:handshake-failed", "TLS handshakes that failed (no h2, bad hello)" },
	[CTR_NRF_FIRST + NRF_EV_REGISTERED] = { "nrf:registered", "Registrations accepted by the NRF" },
	[CTR_NRF_FIRST + NRF_EV_REGISTER_FAILED] = { "nrf:register-failed", "Registrations that failed" },
	[CTR_NRF_FIRST + NRF_EV_HEARTBEAT_OK] = { "nrf:heartbeat", "Heartbeats accepted by the NRF" },
	[CTR_NRF_FIRST + NRF_EV_HEARTBEAT_FAILED] = { "nrf:heartbeat-failed", "Heartbeats that failed" },
	[CTR_NRF_FIRST + NRF_EV_HEARTBEAT_NOT_FOUND] = { "nrf:heartbeat-not-found",
							 "Heartbeats answered 404: registered again" },
	[CTR_NRF_FIRST + NRF_EV_DEREGISTERED] = { "nrf:deregistered", "Deregistrations at a clean stop" },
};

static const struct rate_ctr_group_desc n5g_ctrg_desc = {
	.group_name_prefix = "n5g",
	.group_description = "N5g-eir front end",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(n5g_ctr_desc),
	.ctr_desc = n5g_ctr_desc,
};

struct listen_cfg {
	struct llist_head list;
	bool tls;
	char *addr;
	uint16_t port;
	struct osmo_stream_srv_link *link;
};

struct stream {
	/* In its connection's list: nghttp2_session_del() frees its own
	 * streams without the close callback, so conn_close() frees ours. */
	struct llist_head list;
	int32_t id;
	bool get;		/* :method GET */
	bool has_target;
	bool target_too_long;
	bool headers_too_large;
	size_t header_bytes;
	size_t target_len;
	char *target;		/* :path: in inline_target, or malloc'd when longer */
	/* The answer */
	const char *body;
	size_t body_len, body_off;
	char *owned;		/* malloc'd body (a ProblemDetails) */
	char clen[16];
	char inline_target[160];	/* last: not cleared at allocation */
};

struct conn {
	struct llist_head list;
	struct llist_head streams;	/* struct stream: open, with our data */
	struct osmo_fd ofd;
	nghttp2_session *h2;
	SSL *ssl;
	bool tls;
	bool overflow;		/* over max-connections: 503, then GOAWAY */
	bool goaway;		/* GOAWAY submitted: close when done */
	bool paused;
	bool tls_up;		/* the TLS handshake is done */
	bool served;		/* a first request came */
	bool closing;		/* GOAWAY after idle: closed when written, or soon */
	bool lingering;		/* our side shut: reading until the peer's FIN */
	bool h2_dead;		/* nghttp2 failed fatally: only our output is left */
	uint64_t accepted_ns;
	char remote_addr[INET6_ADDRSTRLEN + 8];	/* address:port, for the logs */
	char host[INET6_ADDRSTRLEN];		/* the address alone */
	char agent[48];		/* the peer's user-agent, for the NOC */
	uint8_t *obuf;
	size_t ooff, olen, ocap;
	uint64_t last_rx_ns;
	uint64_t read_ns;
	unsigned batch_answers;
	struct osmo_timer_list idle;
	struct osmo_timer_list stall;
};

static struct {
	struct llist_head listens, conns;
	unsigned max_streams, max_conns, idle_timeout, max_header_list;
	unsigned max_conns_cfg;		/* as configured (max_conns: what is served) */
	unsigned max_conns_fit;		/* what the descriptor limit allows; 0: not known yet */
	char *tls_cert, *tls_key;
	char *nrf_uri, *nrf_advertise, *nrf_instance_id;
	unsigned nrf_heartbeat;
	unsigned n_conns, n_overflow;
	SSL_CTX *ssl_ctx;
	nghttp2_session_callbacks *cbs;
	nghttp2_option *opt;
	struct rate_ctr_group *ctrs;
	struct eir_hist latency;
	bool nrf_running;
} N = {
	.listens = LLIST_HEAD_INIT(N.listens),
	.conns = LLIST_HEAD_INIT(N.conns),
	.max_streams = 128,
	.max_conns = 1024,
	.max_conns_cfg = 1024,
	.idle_timeout = 60,
	.max_header_list = 8192,
};

static uint8_t rbuf[RBUF];

static void ctr_inc(int i)
{
	rate_ctr_inc(rate_ctr_group_get_ctr(N.ctrs, i));
}

/* ------------------------------------------------------------- lifecycle */

static void stream_free(struct stream *st)
{
	llist_del(&st->list);
	free(st->owned);
	if (st->target != st->inline_target)
		free(st->target);
	pool_free(st);
}

static void conn_close(struct conn *c)
{
	struct stream *st, *tmp;

	osmo_timer_del(&c->idle);
	osmo_timer_del(&c->stall);
	osmo_fd_unregister(&c->ofd);
	nghttp2_session_del(c->h2);
	llist_for_each_entry_safe(st, tmp, &c->streams, list)
		stream_free(st);
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->ofd.fd);
	llist_del(&c->list);
	if (c->overflow)
		N.n_overflow--;
	else
		N.n_conns--;
	ctr_inc(CTR_CONN_CLOSED);
	LOGP(DN5G, LOGL_INFO, "%s: connection closed\n", c->remote_addr);
	talloc_free(c);
}

/* Close without a reset: what was written stays in flight after our FIN,
 * and what the peer still sends is read and dropped until its FIN, or
 * LINGER_MS. (close() with unread input would send an RST, and the peer
 * could lose the last answers and the GOAWAY.) */
static void conn_linger(struct conn *c)
{
	if (c->lingering)
		return;
	if (c->ssl && c->tls_up) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);	/* close_notify; its answer is not awaited */
		ERR_clear_error();
	}
	shutdown(c->ofd.fd, SHUT_WR);
	c->lingering = true;
	osmo_timer_del(&c->stall);
	osmo_fd_write_disable(&c->ofd);
	osmo_fd_read_enable(&c->ofd);
	osmo_timer_schedule(&c->idle, LINGER_MS / 1000, (LINGER_MS % 1000) * 1000);
}

/* Read and drop: 1 while the peer's side is open, 0 at its FIN or an error. */
static int linger_read(struct conn *c)
{
	/* Bounded: a peer that keeps sending gets the next turn, not this one. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->ofd.fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 1 : 0;
	}
	return 1;
}

/* ------------------------------------------------------------- output */

static size_t pending(const struct conn *c)
{
	return c->olen - c->ooff;
}

static int out_append(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->olen + n > c->ocap && c->ooff) {
		memmove(c->obuf, c->obuf + c->ooff, pending(c));
		c->olen -= c->ooff;
		c->ooff = 0;
	}
	if (c->olen + n > c->ocap) {
		size_t cap = c->ocap ? c->ocap : OUT_INITIAL;
		uint8_t *q;

		while (cap < c->olen + n)
			cap *= 2;
		q = talloc_realloc_size(c, c->obuf, cap);
		if (!q)
			return -ENOMEM;
		c->obuf = q, c->ocap = cap;
	}
	memcpy(c->obuf + c->olen, p, n);
	c->olen += n;
	return 0;
}

/* Move what nghttp2 has to send into the output, up to the limit (or all
 * of it at shutdown). */
static int pump(struct conn *c, bool all)
{
	while (all || pending(c) < OUTPUT_LIMIT) {
		const uint8_t *p;
		ssize_t n = nghttp2_session_mem_send(c->h2, &p);

		if (n < 0) {
			LOGP(DN5G, LOGL_ERROR, "%s: HTTP/2 send: %s\n", c->remote_addr, nghttp2_strerror((int)n));
			return -1;
		}
		if (n == 0)
			break;
		if (out_append(c, p, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* Write without blocking: 1 written all, 0 some left, -1 broken. */
static int out_write(struct conn *c)
{
	while (pending(c)) {
		ssize_t n;

		if (c->ssl) {
			if (!c->tls_up)
				return 0;	/* written once the handshake is done */
			ERR_clear_error();
			int r = SSL_write(c->ssl, c->obuf + c->ooff, (int)(pending(c) > INT32_MAX ? INT32_MAX : pending(c)));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE)
					break;
				if (e == SSL_ERROR_WANT_READ)
					return 0;	/* TLS needs the peer first */
				LOGP(DN5G, LOGL_NOTICE, "%s: TLS write failed\n", c->remote_addr);
				return -1;
			}
			n = r;
		} else {
			n = send(c->ofd.fd, c->obuf + c->ooff, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				LOGP(DN5G, LOGL_INFO, "%s: connection lost: %s\n", c->remote_addr, strerror(errno));
				return -1;
			}
		}
		c->ooff += (size_t)n;
	}
	if (pending(c)) {
		osmo_fd_write_enable(&c->ofd);
		return 0;
	}
	c->ooff = c->olen = 0;
	osmo_fd_write_disable(&c->ofd);
	if (c->ocap > OUT_INITIAL) {
		uint8_t *p = talloc_realloc_size(c, c->obuf, OUT_INITIAL);
		if (p)
			c->obuf = p, c->ocap = OUT_INITIAL;
	}
	return 1;
}

static void stall_cb(void *data)
{
	static struct eird_ratelimit rl;
	struct conn *c = data;

	if (eird_ratelimit_due(&rl, 1000000000ULL, NULL))
		LOGP(DN5G, LOGL_ERROR, "%s: does not read its answers (%zu bytes unread for %u s), closing\n",
		     c->remote_addr, pending(c), N.idle_timeout);
	ctr_inc(CTR_CONN_STALLED);
	conn_close(c);
}

/* After input or output: pump, write, pause or resume reading, and close
 * a connection that is done. Returns -1 when it is gone. */
static int settle(struct conn *c)
{
	if ((!c->h2_dead && pump(c, false) < 0) || out_write(c) < 0) {
		conn_close(c);
		return -1;
	}
	/* Writing made room: what nghttp2 still holds goes too. */
	while (!c->h2_dead && pending(c) < OUTPUT_LIMIT / 2 && nghttp2_session_want_write(c->h2)) {
		size_t before = pending(c);
		if (pump(c, false) < 0 || out_write(c) < 0) {
			conn_close(c);
			return -1;
		}
		if (pending(c) == before)
			break;
	}
	if (!c->paused && pending(c) >= OUTPUT_LIMIT) {
		c->paused = true;
		osmo_fd_read_disable(&c->ofd);
		if (N.idle_timeout)
			osmo_timer_schedule(&c->stall, N.idle_timeout, 0);
		LOGP(DN5G, LOGL_NOTICE, "%s: %zu bytes of answers unread, not reading until it reads\n",
		     c->remote_addr, pending(c));
	} else if (c->paused && pending(c) < OUTPUT_LIMIT / 2) {
		c->paused = false;
		osmo_timer_del(&c->stall);
		osmo_fd_read_enable(&c->ofd);
	}
	if (!pending(c) && (c->h2_dead || (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))))
		conn_linger(c);	/* the session is over: GOAWAY sent or received */
	return 0;
}

/* ------------------------------------------------------------- answers */

static ssize_t body_read_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
			    nghttp2_data_source *src, void *user)
{
	struct stream *st = src->ptr;
	size_t n = st->body_len - st->body_off;

	if (n > len)
		n = len;
	memcpy(buf, st->body + st->body_off, n);
	st->body_off += n;
	if (st->body_off == st->body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* Decimal, without printf on the answer path. */
static void utoa(size_t v, char out[16])
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < 15);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

/* The Date header (RFC 9110 6.6.1), formatted once a second. */
static const char *http_date(void)
{
	static char buf[40];
	static time_t last = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last && gmtime_r(&now, &tm)) {
		strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return buf;
}

/* Names and values outlive the frame: static strings, the stream's own
 * content-length, the date buffer (rewritten in place, same length). */
#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), \
		   NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE }

static void submit(struct conn *c, struct stream *st, int status, const char *type, const char *body, size_t len,
		   char *owned)
{
	static const char *const codes[] = { [0] = "200", [1] = "400", [2] = "404", [3] = "405", [4] = "414",
					     [5] = "431", [6] = "503", [7] = "500" };
	static const int code_ctr[] = { CTR_TX_200, CTR_TX_400, CTR_TX_404, CTR_TX_405, CTR_TX_414, CTR_TX_431,
					CTR_TX_503, -1 };
	int k = status == 200 ? 0 : status == 400 ? 1 : status == 404 ? 2 : status == 405 ? 3 : status == 414 ? 4 :
		status == 431 ? 5 : status == 503 ? 6 : 7;
	nghttp2_data_provider dp = { .source.ptr = st, .read_callback = body_read_cb };
	nghttp2_nv nv[6] = {
		NV(":status", codes[k]),
		NV("content-type", type),
		NV("date", http_date()),
	};
	size_t n = 3;

	st->body = body, st->body_len = len, st->body_off = 0, st->owned = owned;
	utoa(len, st->clen);
	nv[n++] = (nghttp2_nv)NV("content-length", st->clen);
	if (status == 405)
		nv[n++] = (nghttp2_nv)NV("allow", "GET");
	if (status == 503)
		nv[n++] = (nghttp2_nv)NV("retry-after", "1");
	if (g_eird->cfg.counting && code_ctr[k] >= 0)
		ctr_inc(code_ctr[k]);
	if (nghttp2_submit_response(c->h2, st->id, nv, n, &dp))
		nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

static void submit_problem(struct conn *c, struct stream *st, int status, const char *title, const char *cause,
			   const char *detail)
{
	size_t len = 0;
	char *b = n5g_problem_json(status, title, cause, detail, NULL, NULL, &len);

	if (!b) {
		nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	submit(c, st, status, "application/problem+json", b, len, b);
}

/* Request text as it may go to a log: printable, bounded. */
static const char *printable(const char *s, char *buf, size_t sz)
{
	return osmo_escape_str_buf(s, -1, buf, sz);
}

static const char *pei_kind_name(enum n5g_pei_kind k)
{
	switch (k) {
	case N5G_PEI_MAC: return "MAC";
	case N5G_PEI_EUI64: return "EUI-64";
	default: return "PEI of another form";
	}
}

static void answer(struct conn *c, struct stream *st)
{
	struct n5g_request req;
	struct eir_result res;
	enum n5g_err e;
	enum eir_verdict v;
	const char *body;
	size_t len;

	c->served = true;
	if (g_eird->cfg.counting)
		ctr_inc(CTR_RX_REQUEST);
	if (c->overflow) {
		ctr_inc(CTR_ERR_CONGESTION);
		/* The GOAWAY follows once this answer is out (on_stream_close). */
		submit_problem(c, st, 503, "Service Unavailable", "NF_CONGESTION",
			       "over max-connections: try another connection later");
		return;
	}
	if (st->headers_too_large) {
		ctr_inc(CTR_ERR_HEADERS_TOO_LARGE);
		submit_problem(c, st, 431, "Request Header Fields Too Large", NULL, "over max-header-list-size");
		return;
	}
	if (!st->get) {
		ctr_inc(CTR_ERR_METHOD);
		submit_problem(c, st, 405, "Method Not Allowed", NULL, "the equipment-status resource allows GET only");
		return;
	}
	if (st->target_too_long) {
		ctr_inc(CTR_ERR_URI_TOO_LONG);
		submit_problem(c, st, 414, "URI Too Long", NULL, "the request target is over 2048 bytes");
		return;
	}
	e = n5g_parse_target(st->target ? st->target : "", st->target_len, g_eird->cfg.policy.imei_flags, &req);
	if (e) {
		char *b = n5g_problem_for(e, &req, &len);

		ctr_inc(CTR_ERR(e));
		LOGP(DN5G, LOGL_DEBUG, "%s: stream %d: %d %s (%s%s%s)\n", c->remote_addr, st->id, n5g_err_status(e),
		     n5g_err_cause(e), req.param, req.reason ? ": " : "", req.reason ? req.reason : "");
		if (!b) {
			nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
			return;
		}
		submit(c, st, n5g_err_status(e), "application/problem+json", b, len, b);
		return;
	}
	if (req.pei_kind == N5G_PEI_IMEI || req.pei_kind == N5G_PEI_IMEISV) {
		eird_check(EIRD_IF_N5G, &req.q, &res);
		v = res.verdict;
	} else {
		/* Not equipment the register can hold: the unknown outcome
		 * of this interface. */
		ctr_inc(CTR_PEI_NOT_IMEI);
		eird_check_not_equipment(EIRD_IF_N5G, &res);
		v = res.verdict;
		if (log_check_level(DN5G, LOGL_INFO)) {
			char pb[200];
			LOGP(DN5G, LOGL_INFO, "%s: pei %s is a %s: answered as unknown-imei (%s)\n", c->remote_addr,
			     printable(req.pei, pb, sizeof(pb)), pei_kind_name(req.pei_kind), eir_verdict_name(v));
		}
	}
	if (log_check_level(DN5G, LOGL_DEBUG)) {
		char pb[200], sb[200], gb[200];
		LOGP(DN5G, LOGL_DEBUG, "%s: pei %s supi %s gpsi %s -> %s (%s)\n", c->remote_addr,
		     printable(req.pei, pb, sizeof(pb)), req.has_supi ? printable(req.supi, sb, sizeof(sb)) : "-",
		     req.has_gpsi ? printable(req.gpsi, gb, sizeof(gb)) : "-", eir_verdict_name(v),
		     eir_branch_name(res.branch));
	}
	if (g_eird->cfg.counting) {
		ctr_inc(v == EIR_WHITELISTED ? CTR_TX_WHITELISTED : v == EIR_BLACKLISTED ? CTR_TX_BLACKLISTED :
			v == EIR_GREYLISTED ? CTR_TX_GREYLISTED : CTR_TX_UNKNOWN);
		c->batch_answers++;
	}
	body = n5g_status_body(v, &len);
	if (body)
		submit(c, st, 200, "application/json", body, len, NULL);
	else {
		body = n5g_unknown_body(&len);
		submit(c, st, 404, "application/problem+json", body, len, NULL);
	}
}

/* ------------------------------------------------------------- nghttp2 callbacks */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct stream *st;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = pool_malloc(sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	memset(st, 0, offsetof(struct stream, inline_target));
	st->id = f->hd.stream_id;
	llist_add_tail(&st->list, &((struct conn *)user)->streams);
	nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st);
	return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	struct conn *c = user;
	struct stream *st;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
	if (!st)
		return 0;
	/* RFC 9113 6.5.2: each field counts its name, value and 32. */
	st->header_bytes += namelen + valuelen + 32;
	if (st->header_bytes > N.max_header_list) {
		st->headers_too_large = true;
		return 0;
	}
	if (namelen == 7 && !memcmp(name, ":method", 7)) {
		st->get = valuelen == 3 && !memcmp(value, "GET", 3);
	} else if (namelen == 5 && !memcmp(name, ":path", 5)) {
		if (valuelen > MAX_TARGET) {
			st->target_too_long = true;
			return 0;
		}
		if (st->target)	/* nghttp2 refuses a second :path; be sure */
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		st->target = valuelen < sizeof(st->inline_target) ? st->inline_target : malloc(valuelen + 1);
		if (!st->target)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		memcpy(st->target, value, valuelen);
		st->target[valuelen] = '\0';
		st->target_len = valuelen;
		st->has_target = true;
	} else if (namelen == 10 && !memcmp(name, "user-agent", 10) && !c->agent[0]) {
		size_t n = valuelen < sizeof(c->agent) - 1 ? valuelen : sizeof(c->agent) - 1;
		for (size_t i = 0; i < n; i++)
			c->agent[i] = value[i] > 0x20 && value[i] < 0x7f ? (char)value[i] : '_';
		c->agent[n] = '\0';
	}
	return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct conn *c = user;
	struct stream *st;

	switch (f->hd.type) {
	case NGHTTP2_PING:
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
			ctr_inc(CTR_RX_PING);
		return 0;
	case NGHTTP2_HEADERS:
	case NGHTTP2_DATA:
		/* A request is complete at END_STREAM (a GET's body, if
		 * any, is read and ignored). */
		if (!(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
			return 0;
		st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
		if (st && !st->body)
			answer(c, st);
		return 0;
	default:
		return 0;
	}
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct conn *c = user;

	if (f->hd.type == NGHTTP2_RST_STREAM)
		ctr_inc(CTR_TX_RST_STREAM);
	/* nghttp2 ends a session that breaks the protocol with a GOAWAY
	 * naming the error; the connection closes once it is written. */
	if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR) {
		static struct eird_ratelimit rl;

		ctr_inc(CTR_CONN_PROTOCOL_ERROR);
		if (eird_ratelimit_due(&rl, 1000000000ULL, NULL))
			LOGP(DN5G, LOGL_NOTICE, "%s: HTTP/2 protocol error: GOAWAY %s, closing\n", c->remote_addr,
		     nghttp2_http2_strerror(f->goaway.error_code));
	}
	return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user)
{
	struct stream *st = nghttp2_session_get_stream_user_data(s, id);
	struct conn *c = user;

	/* A congested connection ends after its first answer: GOAWAY after
	 * the answer's frames, so that no client takes it for a refusal. */
	if (c->overflow && !c->goaway) {
		nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(s),
				      NGHTTP2_NO_ERROR, NULL, 0);
		c->goaway = true;
	}

	if (st) {
		stream_free(st);
		nghttp2_session_set_stream_user_data(s, id, NULL);
	}
	return 0;
}

/* ------------------------------------------------------------- input */

/* Read what the socket has, feed it to nghttp2 (which answers each
 * complete request), then write. -1 when the connection is gone. */
static int conn_read(struct conn *c)
{
	static struct eird_ratelimit tls_rl, proto_rl;
	ssize_t n;

	/* TLS: the handshake first, on its own, so that only it decides
	 * what counts as a failed handshake, and nothing is written before. */
	if (c->ssl && !c->tls_up) {
		ERR_clear_error();
		int r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			unsigned long err = ERR_peek_error();

			if (e == SSL_ERROR_WANT_READ)
				return 0;
			if (e == SSL_ERROR_WANT_WRITE) {
				osmo_fd_write_enable(&c->ofd);
				return 0;
			}
			if (err && ERR_GET_REASON(err) != SSL_R_UNEXPECTED_EOF_WHILE_READING) {
				ctr_inc(CTR_TLS_HANDSHAKE_FAILED);
				if (eird_ratelimit_due(&tls_rl, 1000000000ULL, NULL))
					LOGP(DN5G, LOGL_NOTICE, "%s: TLS handshake failed: %s\n", c->remote_addr,
					     ERR_reason_error_string(err));
			} else {
				LOGP(DN5G, LOGL_INFO, "%s: closed during the TLS handshake\n", c->remote_addr);
			}
			conn_close(c);
			return -1;
		}
		const unsigned char *proto = NULL;
		unsigned plen = 0;

		/* A client that offered no ALPN at all was not refused by
		 * the callback: HTTP/2 over TLS needs h2 (RFC 9113 3.2). */
		SSL_get0_alpn_selected(c->ssl, &proto, &plen);
		if (plen != 2 || memcmp(proto, "h2", 2)) {
			ctr_inc(CTR_TLS_HANDSHAKE_FAILED);
			if (eird_ratelimit_due(&tls_rl, 1000000000ULL, NULL))
				LOGP(DN5G, LOGL_NOTICE, "%s: TLS without ALPN h2, closing\n", c->remote_addr);
			conn_close(c);
			return -1;
		}
		c->tls_up = true;
		if (settle(c) < 0)	/* our SETTINGS, waiting since the accept */
			return -1;
	}
	for (;;) {
		if (c->ssl) {
			ERR_clear_error();
			int r = SSL_read(c->ssl, rbuf, sizeof(rbuf));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					break;
				LOGP(DN5G, LOGL_INFO, "%s: closed by the peer\n", c->remote_addr);
				conn_close(c);
				return -1;
			}
			n = r;
		} else {
			n = recv(c->ofd.fd, rbuf, sizeof(rbuf), 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				if (n < 0)
					LOGP(DN5G, LOGL_INFO, "%s: connection lost: %s\n", c->remote_addr, strerror(errno));
				else
					LOGP(DN5G, LOGL_INFO, "%s: closed by the peer\n", c->remote_addr);
				conn_close(c);
				return -1;
			}
		}
		c->last_rx_ns = c->read_ns = eird_now_ns();
		/* The batch (one read transaction) ends after this loop turn,
		 * in main.c: every connection read in it shares it. */
		ssize_t used = nghttp2_session_mem_recv(c->h2, rbuf, (size_t)n);
		if (used < 0) {
			ctr_inc(CTR_CONN_PROTOCOL_ERROR);
			if (eird_ratelimit_due(&proto_rl, 1000000000ULL, NULL))
				LOGP(DN5G, LOGL_NOTICE, "%s: HTTP/2: %s, closing\n", c->remote_addr,
				     nghttp2_strerror((int)used));
			(void)pump(c, true);
			c->h2_dead = true;
			if (out_write(c) < 0) {
				conn_close(c);
				return -1;
			}
			if (!pending(c)) {
				conn_linger(c);	/* still there, closing */
			} else {
				/* The GOAWAY naming the error goes first (settle()
				 * lingers once it is written), within LINGER_MS. */
				c->closing = true;
				osmo_timer_schedule(&c->idle, LINGER_MS / 1000, (LINGER_MS % 1000) * 1000);
			}
			return 0;
		}
		if (settle(c) < 0)
			return -1;
		/* The answers of this read are written (or queued): their
		 * latency inside eird, one clock reading per read. */
		if (c->batch_answers) {
			eir_hist_add_n(&N.latency, eird_now_ns() - c->read_ns, c->batch_answers);
			c->batch_answers = 0;
		}
		if (c->lingering)
			return 0;
		/* Plain TCP: once per readiness (select comes back). TLS may
		 * hold decrypted bytes select cannot see. */
		if (!c->ssl || c->paused || !SSL_pending(c->ssl))
			break;
	}
	return c->ssl && !c->lingering ? settle(c) : 0;
}

static int conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct conn *c = ofd->data;

	if (c->lingering) {
		if ((what & OSMO_FD_READ) && !linger_read(c))
			conn_close(c);
		return 0;
	}
	if ((what & OSMO_FD_WRITE) && c->ssl && !c->tls_up) {
		/* The handshake wanted to write: go on with it. */
		osmo_fd_write_disable(&c->ofd);
		conn_read(c);
		return 0;
	}
	if (what & OSMO_FD_WRITE) {
		if (settle(c) < 0)
			return 0;
	}
	if ((what & OSMO_FD_READ) && !c->paused)
		conn_read(c);
	return 0;
}

static void idle_cb(void *data)
{
	static struct eird_ratelimit rl;
	struct conn *c = data;
	uint64_t now = eird_now_ns(), idle_s = (now - c->last_rx_ns) / 1000000000ULL;

	/* The end of a linger, or of a GOAWAY that did not get written. */
	if (c->lingering || c->closing) {
		conn_close(c);
		return;
	}
	if (!c->served && now - c->accepted_ns >= FIRST_REQUEST_S * 1000000000ULL) {
		if (eird_ratelimit_due(&rl, 1000000000ULL, NULL))
			LOGP(DN5G, LOGL_NOTICE, "%s: no request within %u s of the connect, closing\n", c->remote_addr,
			     FIRST_REQUEST_S);
		ctr_inc(CTR_CONN_IDLE);
		conn_close(c);
		return;
	}
	/* Paused, it is not idle but not reading: the stall timer decides. */
	if (c->paused) {
		if (N.idle_timeout && !osmo_timer_pending(&c->stall))
			osmo_timer_schedule(&c->stall, N.idle_timeout, 0);
		osmo_timer_schedule(&c->idle, N.idle_timeout ? N.idle_timeout : FIRST_REQUEST_S, 0);
		return;
	}
	if (!N.idle_timeout || idle_s < N.idle_timeout) {
		unsigned next = N.idle_timeout ? N.idle_timeout - (unsigned)idle_s : FIRST_REQUEST_S;

		if (!c->served) {	/* no later than the first-request deadline */
			uint64_t left = c->accepted_ns + FIRST_REQUEST_S * 1000000000ULL - now;
			unsigned left_s = (unsigned)((left + 999999999ULL) / 1000000000ULL);
			if (next > left_s)
				next = left_s ? left_s : 1;
		}
		if (N.idle_timeout || !c->served)
			osmo_timer_schedule(&c->idle, next, 0);
		return;
	}
	LOGP(DN5G, LOGL_INFO, "%s: idle for %u s, closing\n", c->remote_addr, N.idle_timeout);
	ctr_inc(CTR_CONN_IDLE);
	nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
			      NGHTTP2_NO_ERROR, NULL, 0);
	c->closing = true;
	if (settle(c) < 0)
		return;
	if (!c->lingering)	/* the peer does not take the GOAWAY: not for long */
		osmo_timer_schedule(&c->idle, LINGER_MS / 1000, (LINGER_MS % 1000) * 1000);
}

static void *mem_malloc(size_t size, void *user)
{
	return pool_malloc(size);
}

static void mem_free(void *p, void *user)
{
	pool_free(p);
}

static void *mem_calloc(size_t nmemb, size_t size, void *user)
{
	return pool_calloc(nmemb, size);
}

static void *mem_realloc(void *p, size_t size, void *user)
{
	return pool_realloc(p, size);
}

/* nghttp2's many small allocations per request come from pool.c. */
static nghttp2_mem h2_mem = { NULL, mem_malloc, mem_free, mem_calloc, mem_realloc };

static int session_new(struct conn *c)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, N.max_streams },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, N.max_header_list },
		/* Every answer is one small frame pair: no use for a client's
		 * dependency tree (RFC 9218 2.1). */
		{ NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
	};

	if (nghttp2_session_server_new3(&c->h2, N.cbs, c, N.opt, &h2_mem))
		return -ENOMEM;
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, ARRAY_SIZE(iv)))
		return -ENOMEM;
	return 0;
}

static int accept_cb(struct osmo_stream_srv_link *link, int fd)
{
	struct listen_cfg *l, *lc = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	struct conn *c;

	llist_for_each_entry(l, &N.listens, list)
		if (l->link == link)
			lc = l;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	if (N.n_conns >= N.max_conns && N.n_overflow >= OVERFLOW_CONNS) {
		static struct eird_ratelimit rl;
		uint64_t skipped;

		ctr_inc(CTR_CONN_REFUSED);
		if (eird_ratelimit_due(&rl, 10000000000ULL, &skipped))
			LOGP(DN5G, LOGL_ERROR, "%s: over max-connections (%u), connection refused (%llu more since)\n",
			     host, N.max_conns, (unsigned long long)skipped);
		return -EMFILE;	/* libosmo-netif closes fd */
	}
	c = talloc_zero(g_eird->ctx, struct conn);
	if (!c)
		return -ENOMEM;
	INIT_LLIST_HEAD(&c->streams);
	snprintf(c->remote_addr, sizeof(c->remote_addr), ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->tls = lc && lc->tls;
	c->overflow = N.n_conns >= N.max_conns;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_cb, c, 0);
	if (session_new(c) < 0) {
		if (c->h2)
			nghttp2_session_del(c->h2);
		talloc_free(c);
		return -ENOMEM;
	}
	if (c->tls) {
		c->ssl = SSL_new(N.ssl_ctx);
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
			if (c->ssl)
				SSL_free(c->ssl);
			nghttp2_session_del(c->h2);
			talloc_free(c);
			return -ENOMEM;
		}
		SSL_set_accept_state(c->ssl);
	}
	if (osmo_fd_register(&c->ofd) < 0) {
		if (c->ssl)
			SSL_free(c->ssl);
		nghttp2_session_del(c->h2);
		talloc_free(c);
		return -ENOMEM;
	}
	if (c->overflow) {
		static struct eird_ratelimit rl;

		N.n_overflow++;
		if (eird_ratelimit_due(&rl, 1000000000ULL, NULL))
			LOGP(DN5G, LOGL_ERROR, "%s: over max-connections (%u): answering 503 NF_CONGESTION\n",
			     c->remote_addr, N.max_conns);
	} else {
		N.n_conns++;
	}
	c->last_rx_ns = c->accepted_ns = eird_now_ns();
	osmo_timer_setup(&c->idle, idle_cb, c);
	osmo_timer_setup(&c->stall, stall_cb, c);
	/* The first request must come soon; then idle-timeout rules. */
	osmo_timer_schedule(&c->idle, N.idle_timeout && N.idle_timeout < FIRST_REQUEST_S ? N.idle_timeout :
			    FIRST_REQUEST_S, 0);
	llist_add_tail(&c->list, &N.conns);
	ctr_inc(CTR_CONN_ACCEPTED);
	LOGP(DN5G, LOGL_INFO, "%s: connected%s\n", c->remote_addr, c->tls ? " (TLS)" : "");
	/* Our SETTINGS go first (over TLS once the handshake allows). */
	settle(c);
	return 0;
}

/* ------------------------------------------------------------- TLS */

/* ALPN: h2 only; a client that does not offer it is refused. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		   unsigned int inlen, void *arg)
{
	for (unsigned i = 0; i < inlen;) {
		unsigned n = in[i];

		if (i + 1 + n > inlen)
			break;
		if (n == 2 && !memcmp(in + i + 1, "h2", 2)) {
			*out = in + i + 1;
			*outlen = 2;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int tls_init(void)
{
	unsigned long err;

	if (!N.tls_cert || !N.tls_key) {
		LOGP(DN5G, LOGL_FATAL, "n5g: listen tls needs `tls certificate FILE` and `tls key FILE`\n");
		return -EINVAL;
	}
	N.ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (!N.ssl_ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(N.ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(N.ssl_ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* TLS 1.2: ephemeral key exchange and AEAD only, as RFC 9113 9.2.2
	 * asks of HTTP/2 (TLS 1.3's suites all are). */
	SSL_CTX_set_cipher_list(N.ssl_ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
	SSL_CTX_set_mode(N.ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				    SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_select_cb(N.ssl_ctx, alpn_cb, NULL);
	if (SSL_CTX_use_certificate_chain_file(N.ssl_ctx, N.tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(N.ssl_ctx, N.tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(N.ssl_ctx) != 1) {
		err = ERR_get_error();
		LOGP(DN5G, LOGL_FATAL, "n5g: cannot use the TLS certificate %s and key %s: %s\n", N.tls_cert,
		     N.tls_key, err ? ERR_reason_error_string(err) : "?");
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------- the front end */

static void nrf_event_cb(enum nrf_event ev)
{
	if (N.ctrs && ev < NRF_EV_COUNT)
		ctr_inc(CTR_NRF_FIRST + ev);
}

static int nrf_begin(void *ctx)
{
	struct listen_cfg *l = llist_first_entry(&N.listens, struct listen_cfg, list);
	char file[4096];
	struct nrf_cfg cfg;

	snprintf(file, sizeof(file), "%s/n5g-nf-instance-id", g_eird->cfg.db_path);
	cfg = (struct nrf_cfg){
		.uri = N.nrf_uri, .heartbeat = N.nrf_heartbeat, .instance_id = N.nrf_instance_id,
		.instance_file = file, .scheme = l->tls ? "https" : "http", .addr = l->addr, .port = l->port,
		.advertise = N.nrf_advertise, .event = nrf_event_cb,
	};
	if (nrf_start(ctx, &cfg) < 0)
		return -EINVAL;
	N.nrf_running = true;
	return 0;
}

/* Every connection is a descriptor: with too few, accept() fails and the
 * listener stays readable (libosmo-netif retries it each turn). Raise the
 * soft limit to the hard one, and serve no more connections than fit. */
static void fd_budget(void)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)N.max_conns + OVERFLOW_CONNS + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		unsigned fit = rl.rlim_cur > OVERFLOW_CONNS + FD_RESERVE ?
			       (unsigned)(rl.rlim_cur - OVERFLOW_CONNS - FD_RESERVE) : 1;
		LOGP(DN5G, LOGL_ERROR, "n5g: max-connections %u needs %llu file descriptors, the limit is %llu "
		     "(LimitNOFILE, ulimit -n): serving at most %u connections\n", N.max_conns,
		     (unsigned long long)need, (unsigned long long)rl.rlim_cur, fit);
		N.max_conns = fit;
	}
	N.max_conns_fit = rl.rlim_cur > OVERFLOW_CONNS + FD_RESERVE ?
			  (unsigned)(rl.rlim_cur - OVERFLOW_CONNS - FD_RESERVE) : 1;
}

static int n5g_start(void *ctx)
{
	struct listen_cfg *l;

	if (llist_empty(&N.listens))
		return 0;
	fd_budget();
	llist_for_each_entry(l, &N.listens, list)
		if (l->tls && !N.ssl_ctx && tls_init() < 0)
			return -EINVAL;
	N.ctrs = rate_ctr_group_alloc(ctx, &n5g_ctrg_desc, 0);
	nghttp2_session_callbacks_new(&N.cbs);
	nghttp2_session_callbacks_set_on_begin_headers_callback(N.cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(N.cbs, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(N.cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(N.cbs, on_frame_send);
	nghttp2_session_callbacks_set_on_stream_close_callback(N.cbs, on_stream_close);
	nghttp2_option_new(&N.opt);
	nghttp2_option_set_max_deflate_dynamic_table_size(N.opt, 4096);
	/* No RFC 7540 priority tree (SETTINGS_NO_RFC7540_PRIORITIES below):
	 * a closed stream has nothing left to say, so it is freed at once. */
	nghttp2_option_set_no_closed_streams(N.opt, 1);
	llist_for_each_entry(l, &N.listens, list) {
		l->link = osmo_stream_srv_link_create(ctx);
		osmo_stream_srv_link_set_addr(l->link, l->addr);
		osmo_stream_srv_link_set_port(l->link, l->port);
		osmo_stream_srv_link_set_proto(l->link, IPPROTO_TCP);
		osmo_stream_srv_link_set_nodelay(l->link, true);
		osmo_stream_srv_link_set_accept_cb(l->link, accept_cb);
		if (osmo_stream_srv_link_open(l->link) < 0) {
			LOGP(DN5G, LOGL_FATAL, "n5g: cannot listen on %s %u\n", l->addr, l->port);
			return -EADDRNOTAVAIL;
		}
		LOGP(DN5G, LOGL_NOTICE, "n5g: listening on %s %u (%s)\n", l->addr, l->port,
		     l->tls ? "TLS, ALPN h2" : "h2c, prior knowledge");
	}
	if (N.nrf_uri && nrf_begin(ctx) < 0)
		return -EINVAL;
	return 0;
}

/* An answer submitted whose stream is not closed: its DATA waits (for the
 * peer's flow-control window). */
static bool answer_waiting(const struct conn *c)
{
	struct stream *st;

	llist_for_each_entry(st, &c->streams, list)
		if (st->body)
			return true;
	return false;
}

/* At the stop, without the event loop: read what the peer sends (its
 * WINDOW_UPDATEs let the last answers out), write, and once a session
 * has nothing left to write, shut our side and read until the peer's
 * FIN. 0 while the connection goes on, -1 when it is closed. */
static int stop_step(struct conn *c, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		if (c->lingering) {
			if (!linger_read(c)) {
				conn_close(c);
				return -1;
			}
		} else {
			for (int i = 0; i < 16; i++) {	/* bounded, like linger_read() */
				ssize_t n;

				if (c->ssl)
					ERR_clear_error();	/* SSL_get_error reads the queue */
				n = c->ssl ? SSL_read(c->ssl, rbuf, sizeof(rbuf)) :
					     recv(c->ofd.fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
				if (n <= 0) {
					int e = c->ssl ? SSL_get_error(c->ssl, (int)n) : 0;

					if (c->ssl ? e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE :
						     n < 0 && (errno == EAGAIN || errno == EINTR))
						break;
					conn_close(c);
					return -1;
				}
				if (!c->h2_dead && nghttp2_session_mem_recv(c->h2, rbuf, (size_t)n) < 0)
					c->h2_dead = true;
			}
		}
	}
	if (c->lingering)
		return 0;
	if ((!c->h2_dead && pump(c, true) < 0) || out_write(c) < 0) {
		conn_close(c);
		return -1;
	}
	/* Done when everything is written and no answer waits for flow
	 * control (want_write is 0 then too). */
	if (!pending(c) && (c->h2_dead || (!nghttp2_session_want_write(c->h2) && !answer_waiting(c))))
		conn_linger(c);
	return 0;
}

/* A clean stop: no new connection; GOAWAY on every connection, after the
 * answers already given, naming the last stream processed; then the
 * deregistration from the NRF (AMFs stop choosing us; at most 2 s); then
 * STOP_WAIT_MS for the answers and GOAWAYs to be read, and each
 * connection closed without a reset. */
static void n5g_stop(void)
{
	struct listen_cfg *l;
	struct conn *c, *tmp;
	struct pollfd *pfd;
	struct conn **polled;
	uint64_t deadline;
	unsigned cap = N.n_conns + N.n_overflow;

	llist_for_each_entry(l, &N.listens, list) {
		if (l->link)
			osmo_stream_srv_link_destroy(l->link);
		l->link = NULL;
	}
	llist_for_each_entry_safe(c, tmp, &N.conns, list) {
		/* Still in its TLS handshake: no request was ever answered. */
		if (c->ssl && !c->tls_up) {
			conn_close(c);
			continue;
		}
		if (c->lingering || c->h2_dead)
			continue;
		(void)pump(c, true);
		nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
				      NGHTTP2_NO_ERROR, NULL, 0);
		(void)stop_step(c, 0);
	}
	if (N.nrf_running) {
		nrf_stop();
		N.nrf_running = false;
	}
	pfd = talloc_array(g_eird->ctx, struct pollfd, cap ? cap : 1);
	polled = talloc_array(g_eird->ctx, struct conn *, cap ? cap : 1);
	deadline = eird_now_ns() + STOP_WAIT_MS * 1000000ULL;
	while (pfd && polled && !llist_empty(&N.conns) && eird_now_ns() < deadline) {
		unsigned n = 0;

		llist_for_each_entry(c, &N.conns, list) {
			if (n == cap)
				break;
			pfd[n] = (struct pollfd){ .fd = c->ofd.fd,
						  .events = POLLIN | (!c->lingering && pending(c) ? POLLOUT : 0) };
			polled[n++] = c;
		}
		if (poll(pfd, n, 20) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (pfd[i].revents)
				(void)stop_step(polled[i], pfd[i].revents);
	}
	talloc_free(pfd);
	talloc_free(polled);
	llist_for_each_entry_safe(c, tmp, &N.conns, list)
		conn_close(c);
	if (N.cbs)
		nghttp2_session_callbacks_del(N.cbs);
	if (N.opt)
		nghttp2_option_del(N.opt);
	N.cbs = NULL, N.opt = NULL;
	if (N.ssl_ctx)
		SSL_CTX_free(N.ssl_ctx);
	N.ssl_ctx = NULL;
	pool_trim();
}

static struct rate_ctr_group *n5g_counters(void)
{
	return N.ctrs;
}

static struct eir_hist *n5g_latency(void)
{
	return N.ctrs ? &N.latency : NULL;
}

static const char *conn_state(const struct conn *c)
{
	return c->lingering ? "closing" : c->overflow ? "congested" : c->paused ? "stalled" :
	       c->ssl && !c->tls_up ? "tls-handshake" : "open";
}

static void nrf_peer(eird_peer_fn fn, void *ctx)
{
	struct nrf_status st;
	struct eird_peer e;

	if (!N.nrf_running)
		return;
	nrf_get_status(&st);
	e = (struct eird_peer){ .host = "nrf", .addr = st.uri, .state = st.state, .up = st.registered };
	fn(ctx, &e);
}

/* Every connection, then the NRF: the VTY's view. */
static void each_connection(eird_peer_fn fn, void *ctx)
{
	struct eird_peer e;
	struct conn *c;

	llist_for_each_entry(c, &N.conns, list) {
		e = (struct eird_peer){ .host = c->agent[0] ? c->agent : "-", .addr = c->remote_addr,
					.state = conn_state(c), .up = !c->overflow && !c->lingering };
		fn(ctx, &e);
	}
	nrf_peer(fn, ctx);
}

/* The stats' view: one peer per client address (an AMF opens many
 * connections, each from a new port: one series each would grow the
 * NOC's time series without end), up while one of its connections is
 * served; then the NRF. Quadratic in the connections, which are bounded
 * by max-connections; asked once a second at most. */
static void n5g_foreach_peer(eird_peer_fn fn, void *ctx)
{
	struct conn *c, *d;

	llist_for_each_entry(c, &N.conns, list) {
		bool seen = false, up = false;

		llist_for_each_entry(d, &N.conns, list) {
			if (strcmp(d->host, c->host))
				continue;
			if (d == c)
				break;
			seen = true;	/* an earlier connection spoke for it */
			break;
		}
		if (seen)
			continue;
		for (d = c; &d->list != &N.conns; d = llist_entry(d->list.next, struct conn, list))
			if (!strcmp(d->host, c->host))
				up |= !d->overflow && !d->lingering;
		fn(ctx, &(struct eird_peer){ .host = c->agent[0] ? c->agent : "-", .addr = c->host,
					     .state = up ? "open" : conn_state(c), .up = up });
	}
	nrf_peer(fn, ctx);
}

/* ------------------------------------------------------------- VTY */

static struct cmd_node n5g_node = { .node = N5G_NODE, .prompt = "%s(config-n5g)# ", .vtysh = 1 };

DEFUN(cfg_n5g, cfg_n5g_cmd, "n5g", "Configure the 5G N5g-eir front end (HTTP/2)\n")
{
	vty->node = N5G_NODE;
	return CMD_SUCCESS;
}

static void add_listen(bool tls, const char *addr, const char *port)
{
	struct listen_cfg *l = talloc_zero(g_eird->ctx, struct listen_cfg);

	l->tls = tls;
	l->addr = talloc_strdup(l, addr);
	l->port = (uint16_t)atoi(port);
	llist_add_tail(&l->list, &N.listens);
}

static bool is_address(const char *s)
{
	uint8_t a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

DEFUN(cfg_n5g_listen, cfg_n5g_listen_cmd, "listen ADDR <1-65535>",
      "Accept HTTP/2 connections (h2c, prior knowledge)\n" "Local IPv4 or IPv6 address\n" "Port\n")
{
	if (!is_address(argv[0])) {
		vty_out(vty, "%% not an IPv4 or IPv6 address: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	add_listen(false, argv[0], argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_listen_tls, cfg_n5g_listen_tls_cmd, "listen tls ADDR <1-65535>",
      "Accept HTTP/2 connections\n" "over TLS (ALPN h2; needs tls certificate and tls key)\n"
      "Local IPv4 or IPv6 address\n" "Port\n")
{
	if (!is_address(argv[0])) {
		vty_out(vty, "%% not an IPv4 or IPv6 address: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	add_listen(true, argv[0], argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_tls_cert, cfg_n5g_tls_cert_cmd, "tls certificate FILE",
      "TLS of `listen tls`\n" "Certificate chain, PEM\n" "File\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &N.tls_cert, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_tls_key, cfg_n5g_tls_key_cmd, "tls key FILE",
      "TLS of `listen tls`\n" "Private key, PEM\n" "File\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &N.tls_key, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_max_streams, cfg_n5g_max_streams_cmd, "max-concurrent-streams <1-65536>",
      "SETTINGS_MAX_CONCURRENT_STREAMS: streams a connection may have open; more are refused\n"
      "Streams (default 128)\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	N.max_streams = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_max_conns, cfg_n5g_max_conns_cmd, "max-connections <1-65536>",
      "Connections served at once; the next 16 are answered 503 NF_CONGESTION, more are closed\n"
      "Connections (default 1024)\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	N.max_conns_cfg = N.max_conns = (unsigned)atoi(argv[0]);
	/* Typed on a running eird: no more than the descriptors allow. */
	if (N.max_conns_fit && N.max_conns > N.max_conns_fit) {
		vty_out(vty, "%% only %u connections fit in the file descriptor limit; serving at most %u%s",
			N.max_conns_fit, N.max_conns_fit, VTY_NEWLINE);
		N.max_conns = N.max_conns_fit;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_idle, cfg_n5g_idle_cmd, "idle-timeout <0-86400>",
      "Close a connection without a frame for this long (GOAWAY), or one that leaves its answers unread\n"
      "Seconds (default 60; 0: never)\n")
{
	struct conn *c;

	EIRD_CFG_APPLY_OR_RETURN();
	N.idle_timeout = (unsigned)atoi(argv[0]);
	/* Typed on a running eird: every connection's timer sees it now. */
	llist_for_each_entry(c, &N.conns, list)
		if (!c->lingering && !c->closing)
			osmo_timer_schedule(&c->idle, 0, 1);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_header_list, cfg_n5g_header_list_cmd, "max-header-list-size <1024-65536>",
      "SETTINGS_MAX_HEADER_LIST_SIZE: larger requests are answered 431\n" "Bytes (default 8192)\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	N.max_header_list = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_nrf, cfg_n5g_nrf_cmd, "nrf URI",
      "Register in this NRF (TS 29.510), heart-beat, deregister at a clean stop\n"
      "Its apiRoot: http://host:port or https://host:port\n")
{
	if (strncmp(argv[0], "http://", 7) && strncmp(argv[0], "https://", 8)) {
		vty_out(vty, "%% the NRF URI must start with http:// or https://%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &N.nrf_uri, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_no_nrf, cfg_n5g_no_nrf_cmd, "no nrf", NO_STR "Do not register in an NRF\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	TALLOC_FREE(N.nrf_uri);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_nrf_hb, cfg_n5g_nrf_hb_cmd, "nrf-heartbeat <1-3600>",
      "heartBeatTimer asked for at registration (the NRF's answer wins)\n"
      "Seconds (default: none asked, the NRF's own)\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	N.nrf_heartbeat = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_nrf_adv, cfg_n5g_nrf_adv_cmd, "nrf-advertise ADDR",
      "Address published in the NRF profile (needed when listening on 0.0.0.0 or ::)\n"
      "IPv4 or IPv6 address\n")
{
	if (!is_address(argv[0])) {
		vty_out(vty, "%% not an IPv4 or IPv6 address: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &N.nrf_advertise, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_n5g_nrf_id, cfg_n5g_nrf_id_cmd, "nrf-instance-id UUID",
      "nfInstanceId to register with (default: one kept in the database directory)\n" "UUID\n")
{
	if (!nrf_uuid_valid(argv[0])) {
		vty_out(vty, "%% not a UUID: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	osmo_talloc_replace_string(g_eird->ctx, &N.nrf_instance_id, argv[0]);
	return CMD_SUCCESS;
}

static void vty_conn_line(void *ctx, const struct eird_peer *p)
{
	struct vty *vty = ctx;

	vty_out(vty, "%-40s %-48s %s%s", p->addr, p->host, p->state, VTY_NEWLINE);
}

DEFUN(show_n5g_conns, show_n5g_conns_cmd, "show n5g connections",
      SHOW_STR "N5g-eir front end\n" "HTTP/2 connections (and the NRF), with their state\n")
{
	vty_out(vty, "%-40s %-48s %s%s", "address", "user-agent", "state", VTY_NEWLINE);
	each_connection(vty_conn_line, vty);
	return CMD_SUCCESS;
}

DEFUN(show_n5g_nrf, show_n5g_nrf_cmd, "show n5g nrf",
      SHOW_STR "N5g-eir front end\n" "Registration in the NRF\n")
{
	struct nrf_status st;

	if (!N.nrf_running) {
		vty_out(vty, "no NRF configured%s", VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	nrf_get_status(&st);
	vty_out(vty, "NRF %s: %s%s", st.uri, st.state, VTY_NEWLINE);
	vty_out(vty, " nfInstanceId %s, heartbeat %u s%s", st.instance_id ? st.instance_id : "-", st.heartbeat,
		VTY_NEWLINE);
	if (st.last_ok_ns)
		vty_out(vty, " last answer from the NRF %llu s ago%s",
			(unsigned long long)((eird_now_ns() - st.last_ok_ns) / 1000000000ULL), VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_n5g(struct vty *vty)
{
	struct listen_cfg *l;

	if (llist_empty(&N.listens) && !eird_iface_policy_set(EIRD_IF_N5G))
		return CMD_SUCCESS;
	vty_out(vty, "n5g%s", VTY_NEWLINE);
	llist_for_each_entry(l, &N.listens, list)
		vty_out(vty, " listen %s%s %u%s", l->tls ? "tls " : "", l->addr, l->port, VTY_NEWLINE);
	if (N.tls_cert)
		vty_out(vty, " tls certificate %s%s", N.tls_cert, VTY_NEWLINE);
	if (N.tls_key)
		vty_out(vty, " tls key %s%s", N.tls_key, VTY_NEWLINE);
	vty_out(vty, " max-concurrent-streams %u%s", N.max_streams, VTY_NEWLINE);
	vty_out(vty, " max-connections %u%s", N.max_conns_cfg, VTY_NEWLINE);
	vty_out(vty, " idle-timeout %u%s", N.idle_timeout, VTY_NEWLINE);
	if (N.max_header_list != 8192)
		vty_out(vty, " max-header-list-size %u%s", N.max_header_list, VTY_NEWLINE);
	if (N.nrf_uri)
		vty_out(vty, " nrf %s%s", N.nrf_uri, VTY_NEWLINE);
	if (N.nrf_heartbeat)
		vty_out(vty, " nrf-heartbeat %u%s", N.nrf_heartbeat, VTY_NEWLINE);
	if (N.nrf_advertise)
		vty_out(vty, " nrf-advertise %s%s", N.nrf_advertise, VTY_NEWLINE);
	if (N.nrf_instance_id)
		vty_out(vty, " nrf-instance-id %s%s", N.nrf_instance_id, VTY_NEWLINE);
	eird_vty_iface_policy_write(vty, EIRD_IF_N5G);
	return CMD_SUCCESS;
}

static void n5g_vty_init(void *ctx)
{
	install_element(CONFIG_NODE, &cfg_n5g_cmd);
	install_node(&n5g_node, config_write_n5g);
	install_element(N5G_NODE, &cfg_n5g_listen_cmd);
	install_element(N5G_NODE, &cfg_n5g_listen_tls_cmd);
	install_element(N5G_NODE, &cfg_n5g_tls_cert_cmd);
	install_element(N5G_NODE, &cfg_n5g_tls_key_cmd);
	install_element(N5G_NODE, &cfg_n5g_max_streams_cmd);
	install_element(N5G_NODE, &cfg_n5g_max_conns_cmd);
	install_element(N5G_NODE, &cfg_n5g_idle_cmd);
	install_element(N5G_NODE, &cfg_n5g_header_list_cmd);
	install_element(N5G_NODE, &cfg_n5g_nrf_cmd);
	install_element(N5G_NODE, &cfg_n5g_no_nrf_cmd);
	install_element(N5G_NODE, &cfg_n5g_nrf_hb_cmd);
	install_element(N5G_NODE, &cfg_n5g_nrf_adv_cmd);
	install_element(N5G_NODE, &cfg_n5g_nrf_id_cmd);
	eird_vty_iface_policy_install(EIRD_IF_N5G, N5G_NODE);
	install_element_ve(&show_n5g_conns_cmd);
	install_element_ve(&show_n5g_nrf_cmd);
}

const struct eird_frontend eird_fe_n5g = {
	.name = "n5g",
	.title = "N5g-eir",
	.vty_init = n5g_vty_init,
	.start = n5g_start,
	.stop = n5g_stop,
	.counters = n5g_counters,
	.latency = n5g_latency,
	.foreach_peer = n5g_foreach_peer,
	.latency_key = "n5g_latency",
	.latency_json = "latency",
	.latency_prom = "eir_n5g_latency_seconds",
	.latency_help = "N5g-eir answer latency inside eird, read to answer.",
	.latency_item = "n5g:latency",
	.peers_key = "peers_up",
	.peers_prom = "eir_n5g_peers",
	.peers_help = "HTTP/2 connections served, plus the NRF while eird is registered in it",
	.peers_item = "n5g:peers",
};
