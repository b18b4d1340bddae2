/* eird's NRF client (3GPP TS 29.510 Nnrf_NFManagement): NFRegister (PUT
 * of our 5G-EIR profile), heartbeats (PATCH), NFDeregister (DELETE) at a
 * clean stop. One request at a time, over HTTP/2 with libcurl's multi
 * interface on eird's event loop: curl's sockets are osmo_fds, curl's
 * timeout an osmo_timer, so no answer of eird ever waits for the NRF. Only
 * nrf_stop() waits, at most STOP_TIMEOUT_MS. docs/protocols.md §5.5 has
 * the protocol facts and what open5gs's NRF does with them.
 *
 * Ownership: curl owns its sockets; we own one struct sock per socket it
 * asked us to watch, found by descriptor, never through a pointer curl
 * keeps. It goes when curl says CURL_POLL_REMOVE or closes the socket
 * through close_cb, whichever comes first, so no callback ever reaches
 * a freed sock or an osmo_fd of a closed descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "eird.h"
#include "nrf.h"
#include "profile.h"

#define NFM_PATH "/nnrf-nfm/v1/nf-instances/"
#define DEFAULT_HEARTBEAT 10		/* s, also open5gs's NRF default */
#define REQUEST_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000
#define BACKOFF_MAX 30			/* s */
#define BODY_MAX (64 * 1024)		/* the largest answer read */
#define REMIND_NS (5 * 60 * 1000000000ULL)
/* TS 29.500 table 5.2.2.2-1: User-Agent names the client's NF type first. */
#define USER_AGENT "5G_EIR-eird"

enum state { ST_OFF, ST_REGISTERING, ST_REGISTERED, ST_RETRYING, ST_DEREGISTERED };

static const char *const state_names[] = {
	[ST_OFF] = "off", [ST_REGISTERING] = "registering", [ST_REGISTERED] = "registered",
	[ST_RETRYING] = "retrying", [ST_DEREGISTERED] = "deregistered",
};

enum op { OP_REGISTER, OP_HEARTBEAT };

/* One of curl's sockets, watched by the event loop. */
struct sock {
	struct llist_head list;
	struct osmo_fd ofd;
};

static struct {
	void *ctx;			/* everything below that is allocated */
	CURLM *multi;
	struct llist_head socks;
	struct osmo_timer_list curl_timer;	/* curl's own timeouts */
	struct osmo_timer_list timer;		/* the next heartbeat or retry */
	enum state state;
	bool ever_registered;
	char id[NRF_UUID_LEN + 1];
	char *uri;			/* the NRF's apiRoot, no trailing '/' */
	char *url;			/* uri + NFM_PATH + id */
	char *profile;			/* the PUT body (malloc'd) */
	bool nrf_https;
	bool no_reuse;			/* a new connection for each request */
	unsigned hb_ask;		/* heartBeatTimer we ask for (or assume) */
	bool hb_asked;			/* configured: in the profile */
	unsigned hb;			/* in use: the NRF's, else hb_ask */
	unsigned backoff;		/* the next retry's delay, s */
	unsigned failures;		/* since the last success */
	uint64_t last_ok_ns;
	struct eird_ratelimit remind;
	void (*event)(enum nrf_event ev);
	/* The request in flight; easy is NULL when there is none. */
	struct {
		CURL *easy;
		enum op op;
		struct curl_slist *headers;
		char err[CURL_ERROR_SIZE];
		char *body;		/* BODY_MAX + 1 bytes */
		size_t len;
		bool overflow;
	} req;
} N = {
	.socks = LLIST_HEAD_INIT(N.socks),
};

static void emit(enum nrf_event ev)
{
	if (N.event)
		N.event(ev);
}

static void schedule_ms(unsigned ms)
{
	osmo_timer_schedule(&N.timer, (int)(ms / 1000), (int)(ms % 1000) * 1000);
}

/* ------------------------------------------------------------- curl on the event loop */

static struct sock *sock_find(int fd)
{
	struct sock *s;

	llist_for_each_entry(s, &N.socks, list)
		if (s->ofd.fd == fd)
			return s;
	return NULL;
}

static void sock_free(struct sock *s)
{
	if (osmo_fd_is_registered(&s->ofd))
		osmo_fd_unregister(&s->ofd);
	llist_del(&s->list);
	talloc_free(s);
}

static void drain(void);

static int sock_cb(struct osmo_fd *ofd, unsigned int what)
{
	int fd = ofd->fd, ev = 0, running;

	if (what & OSMO_FD_READ)
		ev |= CURL_CSELECT_IN;
	if (what & OSMO_FD_WRITE)
		ev |= CURL_CSELECT_OUT;
	/* This may close the socket and free ofd's sock: not touched after. */
	curl_multi_socket_action(N.multi, fd, ev, &running);
	drain();
	return 0;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct sock *s = sock_find(fd);
	unsigned int when = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s)
			sock_free(s);
		return 0;
	}
	if (!s) {
		s = talloc_zero(N.ctx, struct sock);
		if (!s)
			return -1;
		osmo_fd_setup(&s->ofd, fd, 0, sock_cb, NULL, 0);
		if (osmo_fd_register(&s->ofd) < 0) {
			talloc_free(s);
			return -1;
		}
		llist_add_tail(&s->list, &N.socks);
	}
	if (what & CURL_POLL_IN)
		when |= OSMO_FD_READ;
	if (what & CURL_POLL_OUT)
		when |= OSMO_FD_WRITE;
	osmo_fd_update_when(&s->ofd, 0, when);
	return 0;
}

/* Every socket of our connections closes here, also those curl closes
 * without a CURL_POLL_REMOVE (curl_multi_cleanup, a failed connect). */
static int close_cb(void *clientp, curl_socket_t fd)
{
	struct sock *s = sock_find(fd);

	if (s)
		sock_free(s);
	return close(fd);
}

static int timer_cb(CURLM *multi, long ms, void *userp)
{
	if (ms < 0)
		osmo_timer_del(&N.curl_timer);
	else
		osmo_timer_schedule(&N.curl_timer, (int)(ms / 1000), (int)(ms % 1000) * 1000);
	return 0;
}

static void curl_timeout(void *data)
{
	int running;

	curl_multi_socket_action(N.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain();
}

/* ------------------------------------------------------------- requests */

static size_t write_cb(char *p, size_t size, size_t n, void *userdata)
{
	size_t len = size * n;

	/* A bounded answer: anything longer fails the request. */
	if (len > BODY_MAX - N.req.len) {
		N.req.overflow = true;
		return 0;
	}
	memcpy(N.req.body + N.req.len, p, len);
	N.req.len += len;
	return len;
}

/* The options every request has: the NRF's URL of our instance, HTTP/2
 * (TS 29.500: every SBI is HTTP/2; with prior knowledge over cleartext,
 * the only way open5gs's NRF accepts), bounded in time. */
static CURL *easy_new(const char *method, struct curl_slist *headers, char *errbuf, long timeout_ms)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	errbuf[0] = '\0';
	if (curl_easy_setopt(e, CURLOPT_URL, N.url) ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, N.nrf_https ? "https" : "http") ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			     (long)(N.nrf_https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE)) ||
	    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method) ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) ||
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, (long)N.no_reuse) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf)) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

static void req_free(void)
{
	if (N.req.easy) {
		curl_multi_remove_handle(N.multi, N.req.easy);
		curl_easy_cleanup(N.req.easy);
	}
	curl_slist_free_all(N.req.headers);
	N.req.easy = NULL;
	N.req.headers = NULL;
}

static void fail(const char *why);

static void request(enum op op)
{
	const bool reg = op == OP_REGISTER;
	struct curl_slist *h = NULL, *h2;
	const char *body = reg ? N.profile : nrf_heartbeat_body();
	CURL *e;

	N.req.op = op;
	N.req.len = 0;
	N.req.overflow = false;
	N.req.err[0] = '\0';
	h = curl_slist_append(NULL, reg ? "Content-Type: application/json" : "Content-Type: application/json-patch+json");
	h2 = h ? curl_slist_append(h, "Accept: application/json, application/problem+json") : NULL;
	if (!h2) {
		curl_slist_free_all(h);
		h = NULL;
	}
	N.req.headers = h;
	e = h ? easy_new(reg ? "PUT" : "PATCH", h, N.req.err, REQUEST_TIMEOUT_MS) : NULL;
	if (e && !curl_easy_setopt(e, CURLOPT_POSTFIELDS, body) &&
	    !curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) &&
	    !curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) &&
	    !curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb) &&
	    !curl_multi_add_handle(N.multi, e)) {
		N.req.easy = e;
		LOGP(DNRF, LOGL_DEBUG, "%s %s\n", reg ? "PUT" : "PATCH", N.url);
		return;
	}
	if (e)
		curl_easy_cleanup(e);
	req_free();
	fail("out of memory for the request");
}

/* ------------------------------------------------------------- the registration */

static unsigned backoff_cap(void)
{
	return N.hb && N.hb < BACKOFF_MAX ? N.hb : BACKOFF_MAX;
}

/* Register again in N.backoff seconds, doubling up to the cap; say so
 * once per state change, then every REMIND_NS while it lasts. */
static void fail(const char *why)
{
	N.failures++;
	if (N.state == ST_REGISTERED) {
		LOGP(DNRF, LOGL_NOTICE, "lost the NRF %s: %s; registering again, retrying up to every %u s\n",
		     N.uri, why, backoff_cap());
	} else if (N.state != ST_RETRYING) {
		LOGP(DNRF, LOGL_ERROR, "cannot register in the NRF %s: %s; retrying up to every %u s "
		     "(AMFs cannot discover this EIR meanwhile)\n", N.uri, why, backoff_cap());
	} else if (eird_ratelimit_due(&N.remind, REMIND_NS, NULL)) {
		LOGP(DNRF, LOGL_ERROR, "still not registered in the NRF %s after %u attempts: %s\n", N.uri,
		     N.failures, why);
	} else {
		LOGP(DNRF, LOGL_DEBUG, "NFRegister attempt %u failed: %s\n", N.failures, why);
	}
	if (N.state != ST_RETRYING) {
		/* The first reminder comes REMIND_NS after this line. */
		N.remind = (struct eird_ratelimit){ 0 };
		eird_ratelimit_due(&N.remind, REMIND_NS, NULL);
		N.state = ST_RETRYING;
	}
	schedule_ms(N.backoff * 1000);
	N.backoff = N.backoff * 2 < backoff_cap() ? N.backoff * 2 : backoff_cap();
}

/* TS 29.510 5.2.2.3.2: an NF that sends no heartbeat within its
 * heartBeatTimer is taken for unavailable (open5gs's NRF removes it
 * heartBeatTimer + 1 s after the last PUT or PATCH it received).
 * Sending at three quarters leaves room for a lost heartbeat's first
 * retry before that. */
static void schedule_heartbeat(void)
{
	schedule_ms(N.hb * 750);
}

static void registered(const char *body, size_t len)
{
	unsigned hb = N.hb_ask;
	int rc = nrf_answer_heartbeat(body, len, &hb);

	if (rc < 0 && len)
		LOGP(DNRF, LOGL_INFO, "the NRF's answer has no usable heartBeatTimer; keeping %u s\n", N.hb_ask);
	N.hb = hb;
	if (!N.ever_registered)
		LOGP(DNRF, LOGL_NOTICE, "registered in the NRF %s as 5G_EIR %s, heartbeat %u s%s\n", N.uri, N.id,
		     hb, hb != N.hb_ask || !N.hb_asked ? " (the NRF's choice)" : "");
	else if (N.failures)
		LOGP(DNRF, LOGL_NOTICE, "registered again in the NRF %s as %s, heartbeat %u s, after %u failed "
		     "attempt%s\n", N.uri, N.id, hb, N.failures, N.failures == 1 ? "" : "s");
	else
		LOGP(DNRF, LOGL_NOTICE, "registered again in the NRF %s as %s, heartbeat %u s\n", N.uri, N.id, hb);
	N.ever_registered = true;
	N.state = ST_REGISTERED;
	N.backoff = 1;
	N.failures = 0;
	N.last_ok_ns = eird_now_ns();
	schedule_heartbeat();
	emit(NRF_EV_REGISTERED);
}

/* What went wrong with a request, for a log line. */
static void describe(CURLcode res, long code, char *buf, size_t sz)
{
	char problem[200];

	if (N.req.overflow)
		snprintf(buf, sz, "an answer over %u KiB", BODY_MAX / 1024);
	else if (res != CURLE_OK)
		snprintf(buf, sz, "%s", N.req.err[0] ? N.req.err : curl_easy_strerror(res));
	else if (nrf_problem_text(N.req.body, N.req.len, problem, sizeof(problem)) > 0)
		snprintf(buf, sz, "HTTP %ld, %s", code, problem);
	else
		snprintf(buf, sz, "HTTP %ld", code);
}

static void finish(CURLcode res)
{
	enum op op = N.req.op;
	long code = 0;
	char why[512];

	if (res == CURLE_OK)
		curl_easy_getinfo(N.req.easy, CURLINFO_RESPONSE_CODE, &code);
	/* The body stays until the next request(). */
	N.req.body[N.req.len] = '\0';
	describe(res, code, why, sizeof(why));
	req_free();

	if (op == OP_REGISTER) {
		if (res == CURLE_OK && (code == 201 || code == 200)) {
			registered(N.req.body, N.req.len);
			return;
		}
		fail(why);
		emit(NRF_EV_REGISTER_FAILED);
		return;
	}
	if (res == CURLE_OK && (code == 204 || code == 200)) {
		unsigned hb = N.hb;

		LOGP(DNRF, LOGL_DEBUG, "heartbeat to the NRF %s: HTTP %ld\n", N.uri, code);
		/* A 200 carries the profile the NRF changed, which may be
		 * its heartBeatTimer (TS 29.510 5.2.2.3.2). */
		if (code == 200 && nrf_answer_heartbeat(N.req.body, N.req.len, &hb) == 1 && hb != N.hb) {
			LOGP(DNRF, LOGL_NOTICE, "the NRF %s changed the heartbeat to %u s\n", N.uri, hb);
			N.hb = hb;
		}
		N.last_ok_ns = eird_now_ns();
		schedule_heartbeat();
		emit(NRF_EV_HEARTBEAT_OK);
		return;
	}
	if (res == CURLE_OK && code == 404) {
		/* It lost our profile: it restarted, or dropped us. */
		LOGP(DNRF, LOGL_NOTICE, "the NRF %s no longer knows this EIR (404 to a heartbeat): registering again\n",
		     N.uri);
		N.state = ST_REGISTERING;
		request(OP_REGISTER);
		emit(NRF_EV_HEARTBEAT_NOT_FOUND);
		return;
	}
	/* Whether the NRF still has us or not, a PUT puts us back. */
	fail(why);
	emit(NRF_EV_HEARTBEAT_FAILED);
}

/* Completed transfers: ours, or none. */
static void drain(void)
{
	CURLMsg *m;
	int left;

	/* (An event callback may have stopped us: N.multi is then NULL.) */
	while (N.multi && (m = curl_multi_info_read(N.multi, &left))) {
		if (m->msg == CURLMSG_DONE && N.req.easy && m->easy_handle == N.req.easy)
			finish(m->data.result);
	}
}

static void timer_expired(void *data)
{
	request(N.state == ST_REGISTERED ? OP_HEARTBEAT : OP_REGISTER);
}

/* ------------------------------------------------------------- the instance id */

/* The id in path: 0, -EINVAL when it holds no UUID, or -errno. */
static int read_id(const char *path, char *id)
{
	char buf[128];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (!nrf_uuid_valid(buf))
		return -EINVAL;
	memcpy(id, buf, NRF_UUID_LEN + 1);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The id written whole or not at all: a temporary file, synced, renamed
 * over the name, and the directory synced so that the rename survives a
 * crash. */
static int write_id(const char *path, const char *id)
{
	char tmp[PATH_MAX], dir[PATH_MAX], line[NRF_UUID_LEN + 2];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	snprintf(line, sizeof(line), "%s\n", id);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, line, strlen(line));
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

static int instance_id(const struct nrf_cfg *cfg, char *id)
{
	int rc;

	if (cfg->instance_id) {
		if (!nrf_uuid_valid(cfg->instance_id)) {
			LOGP(DNRF, LOGL_ERROR, "the NF instance id %s is not a UUID\n", cfg->instance_id);
			return -EINVAL;
		}
		memcpy(id, cfg->instance_id, NRF_UUID_LEN + 1);
	} else if (!cfg->instance_file) {
		rc = nrf_uuid_generate(id);
		if (rc)
			goto no_random;
		LOGP(DNRF, LOGL_NOTICE, "no file for the NF instance id: %s for this run only (the NRF sees a "
		     "new NF at each start)\n", id);
	} else if ((rc = read_id(cfg->instance_file, id)) == -ENOENT) {
		rc = nrf_uuid_generate(id);
		if (rc)
			goto no_random;
		rc = write_id(cfg->instance_file, id);
		if (rc) {
			LOGP(DNRF, LOGL_ERROR, "cannot write the NF instance id to %s: %s\n", cfg->instance_file,
			     strerror(-rc));
			return rc;
		}
		LOGP(DNRF, LOGL_NOTICE, "new NF instance id %s, kept in %s\n", id, cfg->instance_file);
	} else if (rc == -EINVAL) {
		LOGP(DNRF, LOGL_ERROR, "%s does not hold an NF instance id (one UUID); correct it, or remove it "
		     "for a new id (the NRF then sees a new NF)\n", cfg->instance_file);
		return rc;
	} else if (rc) {
		LOGP(DNRF, LOGL_ERROR, "cannot read the NF instance id from %s: %s\n", cfg->instance_file,
		     strerror(-rc));
		return rc;
	}
	/* One spelling on the wire whatever case it was written in
	 * (RFC 9562 4: lower case on output). */
	for (char *p = id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return 0;

no_random:
	LOGP(DNRF, LOGL_ERROR, "no random bytes for an NF instance id: %s\n", strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------- the NRF's URI */

/* The apiRoot (TS 29.501 4.4): scheme, authority, an optional prefix;
 * no query, fragment or credentials. Normalised by curl, without the
 * trailing '/'. */
static int parse_uri(const char *uri, char **out, bool *https)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *q = NULL, *f = NULL, *user = NULL, *all = NULL;
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (!uri || curl_url_set(u, CURLUPART_URL, uri, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) || !host[0])
		goto out;
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
		goto out;
	if (!curl_url_get(u, CURLUPART_QUERY, &q, 0) || !curl_url_get(u, CURLUPART_FRAGMENT, &f, 0) ||
	    !curl_url_get(u, CURLUPART_USER, &user, 0))
		goto out;
	if (curl_url_get(u, CURLUPART_URL, &all, 0)) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t n = strlen(all); n && all[n - 1] == '/'; n--)
		all[n - 1] = '\0';
	*out = talloc_strdup(N.ctx, all);
	*https = !strcasecmp(scheme, "https");
	rc = *out ? 0 : -ENOMEM;
out:
	curl_free(scheme), curl_free(host), curl_free(q), curl_free(f), curl_free(user), curl_free(all);
	curl_url_cleanup(u);
	return rc;
}

/* ------------------------------------------------------------- start, stop, status */

/* Everything of a run but the id (the status keeps naming it). */
static void teardown(void)
{
	osmo_timer_del(&N.timer);
	req_free();
	if (N.multi) {
		/* Closes the cached connections through close_cb. */
		curl_multi_cleanup(N.multi);
		N.multi = NULL;
		curl_global_cleanup();
	}
	osmo_timer_del(&N.curl_timer);
	while (!llist_empty(&N.socks))
		sock_free(llist_first_entry(&N.socks, struct sock, list));
	free(N.profile);
	N.profile = NULL;
	talloc_free(N.ctx);
	N.ctx = NULL;
	N.uri = N.url = NULL;
	N.req.body = NULL;
}

int nrf_start(void *ctx, const struct nrf_cfg *cfg)
{
	struct nrf_plmn plmn = { cfg->mcc, cfg->mnc };
	struct nrf_profile p;
	char err[256], id[NRF_UUID_LEN + 1];
	int rc;

	if (N.multi)
		return -EALREADY;
	N.ctx = talloc_named_const(ctx, 0, "nrf");
	if (!N.ctx)
		return -ENOMEM;
	rc = parse_uri(cfg->uri, &N.uri, &N.nrf_https);
	if (rc) {
		LOGP(DNRF, LOGL_ERROR, "the NRF's URI %s is not http:// or https:// with a host and nothing "
		     "after the path\n", cfg->uri ? cfg->uri : "(none)");
		goto err;
	}
	rc = instance_id(cfg, id);
	if (rc)
		goto err;
	N.hb_ask = cfg->heartbeat ? cfg->heartbeat : DEFAULT_HEARTBEAT;
	N.hb_asked = cfg->heartbeat != 0;
	if (N.hb_ask > NRF_HEARTBEAT_MAX)
		N.hb_ask = NRF_HEARTBEAT_MAX;
	p = (struct nrf_profile){
		/* Not configured: ask for none, the NRF's own applies. */
		.instance_id = id, .heartbeat = cfg->heartbeat ? N.hb_ask : 0,
		.scheme = cfg->scheme ? cfg->scheme : "http",
		.addr = cfg->addr, .port = cfg->port, .advertise = cfg->advertise, .fqdn = cfg->fqdn,
		.plmn = &plmn, .n_plmn = cfg->mcc || cfg->mnc ? 1 : 0,
	};
	rc = nrf_profile_build(&p, &N.profile, err, sizeof(err));
	if (rc) {
		LOGP(DNRF, LOGL_ERROR, "cannot register in the NRF: %s\n", err);
		goto err;
	}
	N.url = talloc_asprintf(N.ctx, "%s" NFM_PATH "%s", N.uri, id);
	N.req.body = talloc_size(N.ctx, BODY_MAX + 1);
	rc = -ENOMEM;
	if (!N.url || !N.req.body || curl_global_init(CURL_GLOBAL_DEFAULT))
		goto err;
	N.multi = curl_multi_init();
	if (!N.multi) {
		curl_global_cleanup();
		goto err;
	}
	/* libcurl before 8.0.0 fails the second request on a reused h2c
	 * connection with prior knowledge ("Error in the HTTP2 framing
	 * layer", curl issue 10634; bookworm has 7.88.1): there, one
	 * connection per request, a connect every few seconds on a heartbeat.
	 * Over TLS (ALPN) reuse works. */
	N.no_reuse = !N.nrf_https && curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
	curl_multi_setopt(N.multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(N.multi, CURLMOPT_TIMERFUNCTION, timer_cb);

	memcpy(N.id, id, sizeof(N.id));
	osmo_timer_setup(&N.curl_timer, curl_timeout, NULL);
	osmo_timer_setup(&N.timer, timer_expired, NULL);
	N.event = cfg->event;
	N.state = ST_REGISTERING;
	N.ever_registered = false;
	N.hb = N.hb_ask;
	N.backoff = 1;
	N.failures = 0;
	N.last_ok_ns = 0;
	LOGP(DNRF, LOGL_INFO, "registering in the NRF %s as 5G_EIR %s, asking for a heartbeat of %u s\n", N.uri,
	     N.id, N.hb_ask);
	LOGP(DNRF, LOGL_DEBUG, "NF profile: %s\n", N.profile);
	/* Only queued: curl's timer starts it from the event loop. */
	request(OP_REGISTER);
	return 0;

err:
	teardown();
	return rc;
}

/* NFDeregister on its own handle, blocking but bounded: the loop is
 * stopping, and a dead NRF costs at most STOP_TIMEOUT_MS. */
static void deregister(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json, application/problem+json");
	char why[512];
	CURLcode res = CURLE_OUT_OF_MEMORY;
	long code = 0;
	CURL *e;

	N.req.len = 0;
	N.req.overflow = false;
	N.req.err[0] = '\0';
	e = h ? easy_new("DELETE", h, N.req.err, STOP_TIMEOUT_MS) : NULL;
	if (e && !curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb)) {
		res = curl_easy_perform(e);
		if (res == CURLE_OK)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	}
	N.req.body[N.req.len] = '\0';
	describe(res, code, why, sizeof(why));
	if (res == CURLE_OK && (code == 204 || code == 200)) {
		LOGP(DNRF, LOGL_NOTICE, "deregistered from the NRF %s\n", N.uri);
		N.state = ST_DEREGISTERED;
		emit(NRF_EV_DEREGISTERED);
	} else if (res == CURLE_OK && code == 404) {
		LOGP(DNRF, LOGL_NOTICE, "deregistered: the NRF %s did not know this EIR\n", N.uri);
		N.state = ST_DEREGISTERED;
	} else if (N.ever_registered) {
		LOGP(DNRF, LOGL_NOTICE, "cannot deregister from the NRF %s: %s; it drops this EIR %u s after "
		     "the last heartbeat\n", N.uri, why, N.hb);
		N.state = ST_OFF;
	} else {
		LOGP(DNRF, LOGL_NOTICE, "cannot deregister from the NRF %s: %s\n", N.uri, why);
		N.state = ST_OFF;
	}
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
}

void nrf_stop(void)
{
	static bool stopping;	/* the DEREGISTERED event may call us */

	if (!N.multi || stopping)
		return;
	stopping = true;
	osmo_timer_del(&N.timer);
	/* What was in flight is dropped: a PUT the NRF took is undone by
	 * the DELETE. */
	req_free();
	/* Nothing to undo at an NRF that never took our profile. */
	if (N.ever_registered || N.state == ST_REGISTERING)
		deregister();
	teardown();
	N.event = NULL;
	stopping = false;
}

void nrf_get_status(struct nrf_status *st)
{
	*st = (struct nrf_status){
		.state = state_names[N.state],
		.registered = N.state == ST_REGISTERED,
		.instance_id = N.id[0] ? N.id : NULL,
		.uri = N.uri,
		.heartbeat = N.multi ? N.hb : 0,
		.last_ok_ns = N.last_ok_ns,
	};
}
