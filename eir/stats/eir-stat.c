/* eir-stat: the NOC's view of eird, read from its stats socket. Prints one
 * answer (stats, prometheus or json, passed through unchanged), the view
 * once (view), or with --watch a live view: counters with per-second
 * rates, latency percentiles, peers and data freshness, redrawn in place on
 * a terminal and written as blocks of lines otherwise. The live view
 * outlives eird: while eird cannot be reached it says so and retries every
 * interval, and it resumes by itself when eird is back. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#define DEFAULT_SOCK EIR_STATS_SOCKET
#define MAX_KEYS 1024
#define ANSWER_TIMEOUT 5.0	/* seconds eird has to answer a command */
#define WATCH_MIN 0.1
#define WATCH_MAX 86400.0
#define COUNT_MAX 1000000000L

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ socket */

static int connect_sock(const char *path, char *err, size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);	/* length checked with the options */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errsz, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EAGAIN)
		snprintf(err, errsz, "cannot connect to %s: eird takes no new connections (busy or stopped)", path);
	else
		snprintf(err, errsz, "cannot connect to %s: %s (is eird running, with stats-socket there?)", path,
			 strerror(e));
	return -1;
}

/* Wait until fd is ready for events or the deadline (monotonic) passes:
 * 1 ready (or in error: the next call says which), 0 timed out, -1
 * stopped by SIGINT or SIGTERM. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		double left = deadline - now_s();
		int n;

		if (stop_signal)
			return -1;
		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n > 0 || (n < 0 && errno != EINTR))
			return 1;
	}
}

/* Send cmd, read the answer up to its terminating empty line. Returns a
 * malloc'd string without that line, or NULL with err set, and *lost when
 * the connection was closed or reset (a fresh one may do). An answer that
 * is an error line ("error: too many clients") is a failure too. */
static char *ask(int fd, const char *cmd, char *err, size_t errsz, bool *lost)
{
	double deadline = now_s() + ANSWER_TIMEOUT;
	size_t len = 0, cap = 65536, off = 0, n_line;
	char line[64], *buf;
	int w;

	*lost = false;
	n_line = (size_t)snprintf(line, sizeof(line), "%s\n", cmd);
	while (off < n_line) {
		if ((w = wait_fd(fd, POLLOUT, deadline)) <= 0)
			goto late;
		ssize_t n = send(fd, line + off, n_line - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			snprintf(err, errsz, "lost the connection to eird: %s", strerror(errno));
			*lost = true;
			return NULL;
		}
		off += (size_t)n;
	}
	buf = malloc(cap);
	if (!buf) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				snprintf(err, errsz, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		if ((w = wait_fd(fd, POLLIN, deadline)) <= 0) {
			free(buf);
			goto late;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			free(buf);
			*lost = true;
			if (n < 0)
				snprintf(err, errsz, "lost the connection to eird: %s", strerror(errno));
			else
				snprintf(err, errsz, len ? "eird closed the connection in the middle of an answer"
						       : "eird closed the connection");
			return NULL;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= 2 && !strcmp(buf + len - 2, "\n\n"))
			break;
	}
	buf[len - 1] = '\0';
	if (!strncmp(buf, "error:", 6)) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errsz, "eird answered '%s'", buf);
		free(buf);
		return NULL;
	}
	return buf;
late:
	if (w < 0)
		snprintf(err, errsz, "interrupted");
	else
		snprintf(err, errsz, "no answer from eird within %.0f s", ANSWER_TIMEOUT);
	return NULL;
}

/* ------------------------------------------------------------ the view */

struct sample;
static void verdict_view(const struct sample *cur, const struct sample *prev);
static void observed_view(const struct sample *cur);

struct kv {
	char section[16];	/* "s13", "map", ... */
	char key[64];
	char val[400];	/* a peer: host=...,addr=...,state=... */
	double num;
	bool is_num;
};

struct sample {
	struct kv kv[MAX_KEYS];
	int n;
	double t;	/* monotonic, when the answer came */
	time_t wall;
};

static void parse_stats(char *text, struct sample *s)
{
	char *save = NULL, section[16] = "";

	s->n = 0;
	for (char *line = strtok_r(text, "\n", &save); line && s->n < MAX_KEYS; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *end;
		struct kv *k = &s->kv[s->n];

		if (!strncmp(line, "# ", 2))
			snprintf(section, sizeof(section), "%s", line + 2);
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		/* N5g-eir lists every HTTP/2 connection as a peer: only the
		 * NRF is kept, so that a thousand AMF connections cannot push
		 * the policy section out of the sample. */
		if (!strcmp(section, "n5g") && !strncmp(line, "peer", 4) && line[4] >= '0' && line[4] <= '9' &&
		    strncmp(colon + 1, "host=nrf,", 9))
			continue;
		snprintf(k->section, sizeof(k->section), "%s", section);
		snprintf(k->key, sizeof(k->key), "%s", line);
		snprintf(k->val, sizeof(k->val), "%s", colon + 1);
		k->num = strtod(colon + 1, &end);
		k->is_num = end != colon + 1 && !*end;
		s->n++;
	}
}

/* A peer of a front end's section: peer0:host=...,addr=...,state=... */
static bool is_peer(const struct kv *k, const char *section)
{
	return !strcmp(k->section, section) && !strncmp(k->key, "peer", 4) &&
	       k->key[4] >= '0' && k->key[4] <= '9';
}

static void peer_line(const char *prefix, const struct kv *k)
{
	char v[sizeof(k->val)], *save = NULL, *f[3] = { "-", "-", "-" };
	static const char *const names[] = { "host=", "addr=", "state=" };

	snprintf(v, sizeof(v), "%s", k->val);
	for (char *p = strtok_r(v, ",", &save); p; p = strtok_r(NULL, ",", &save))
		for (int i = 0; i < 3; i++)
			if (!strncmp(p, names[i], strlen(names[i])))
				f[i] = p + strlen(names[i]);
	printf("%s%-40s %-22s %s\n", prefix, f[0], f[1], f[2]);
}

static const struct kv *find(const struct sample *s, const char *key)
{
	for (int i = 0; i < s->n; i++) {
		if (!strcmp(s->kv[i].key, key))
			return &s->kv[i];
	}
	return NULL;
}

static const struct kv *find_in(const struct sample *s, const char *section, const char *key)
{
	for (int i = 0; i < s->n; i++) {
		if (!strcmp(s->kv[i].section, section) && !strcmp(s->kv[i].key, key))
			return &s->kv[i];
	}
	return NULL;
}

static const char *str_in(const struct sample *s, const char *section, const char *key)
{
	const struct kv *k = find_in(s, section, key);
	return k ? k->val : "-";
}

static double num(const struct sample *s, const char *key)
{
	const struct kv *k = find(s, key);
	return k && k->is_num ? k->num : 0;
}

static const char *str(const struct sample *s, const char *key)
{
	const struct kv *k = find(s, key);
	return k ? k->val : "-";
}

/* A duration as people read it: 45s, 12m 5s, 3h 4m, 6d 19h. */
static const char *human(double secs, char *buf, size_t sz)
{
	double a = secs < 0 ? -secs : secs;
	long long s = (long long)(a < 1e15 ? a : 1e15);
	const char *sign = secs <= -1 ? "-" : "";

	if (s < 60)
		snprintf(buf, sz, "%s%llds", sign, s);
	else if (s < 3600)
		snprintf(buf, sz, "%s%lldm %llds", sign, s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, sz, "%s%lldh %lldm", sign, s / 3600, s % 3600 / 60);
	else
		snprintf(buf, sz, "%s%lldd %lldh", sign, s / 86400, s % 86400 / 3600);
	return buf;
}

/* A time as eird shows it, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC);
 * -1 for anything else. */
static time_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;

	if (strlen(s) == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
			return -1;
	} else if (strlen(s) == 20) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 20)
			return -1;
	} else {
		return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* "5m 2s ago" for a time eird showed, "" when it is not a time. */
static const char *ago(const char *when, time_t now, char *buf, size_t sz)
{
	time_t t = parse_time(when);
	char d[32];

	if (t < 0)
		snprintf(buf, sz, "%s", "");
	else if (now >= t)
		snprintf(buf, sz, " (%s ago)", human((double)(now - t), d, sizeof(d)));
	else
		snprintf(buf, sz, " (%s ahead of this clock)", human((double)(t - now), d, sizeof(d)));
	return buf;
}

static const char *local_time(time_t t, char *buf, size_t sz)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, sz, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, sz, "%lld", (long long)t);
	return buf;
}

static const char *const counter_rows[] = {
	"s13_rx_ecr", "s13_tx_whitelisted", "s13_tx_blacklisted", "s13_tx_greylisted", "s13_tx_unknown",
	"diameter_tx_error", "diameter_cer_refused", "diameter_framing_error", "diameter_watchdog_close",
};
static const char *const n5g_rows[] = {
	"n5g_rx_request", "n5g_tx_whitelisted", "n5g_tx_blacklisted", "n5g_tx_greylisted", "n5g_tx_unknown",
	"n5g_tx_400", "n5g_tx_503", "n5g_conn_refused", "n5g_conn_stalled",
};
static const char *const branch_rows[] = {
	"invalid", "exempt", "paired-exception", "pair-mismatch", "active", "registered", "traveller",
	"expired", "blocked", "tracked", "range", "unknown", "failure", "grace-expired",
};

static const char *const verdict_rows[] = { "whitelisted", "blacklisted", "greylisted", "unknown" };
#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* One counter with its rate since prev; "-" without a usable prev. */
static void counter_row(const char *name, const struct sample *cur, const struct sample *prev)
{
	double v = num(cur, name), r = -1;

	if (prev && cur->t > prev->t)
		r = (v - num(prev, name)) / (cur->t - prev->t);
	if (r < 0)
		printf("%-26s %14.0f %12s\n", name, v, "-");
	else
		printf("%-26s %14.0f %12.0f\n", name, v, r);
}

static void sync_line(const struct sample *s)
{
	const char *att = str(s, "sync_last_attempt"), *res = str(s, "sync_last_result");
	const char *okay = str(s, "sync_last_success"), *msg = str(s, "sync_last_message");
	char a[64], b[64];

	if (!strcmp(att, "-")) {
		printf("sync: no eir-sync attempt recorded\n");
		return;
	}
	printf("sync: last attempt %s%s %s, last success %s%s", att, ago(att, s->wall, a, sizeof(a)), res, okay,
	       ago(okay, s->wall, b, sizeof(b)));
	if (strcmp(res, "applied") && strcmp(res, "nothing-new") && strcmp(msg, "-"))
		printf("; %s", msg);
	printf("\n");
}

/* The page: prev (or NULL) gives the rates; notes go under the first line. */
static void render(const struct sample *cur, const struct sample *prev, char notes[][256], int n_notes)
{
	char when[32], up[32], age[32];
	const struct kv *age_kv = find(cur, "snapshot_age_seconds");

	printf("eird %s  pid %s  up %s  %s  rss %.1f MiB  fds %.0f\n", str(cur, "version"), str(cur, "pid"),
	       human(num(cur, "uptime_seconds"), up, sizeof(up)), local_time(cur->wall, when, sizeof(when)),
	       num(cur, "rss_bytes") / 1048576.0, num(cur, "open_fds"));
	for (int i = 0; i < n_notes; i++)
		printf("note: %s\n", notes[i]);
	if (!strcmp(str(cur, "db_state"), "open"))
		printf("data: seq %s (%s) from %s, created %s, age %s, %s IMEIs, %s ranges, %s reopens\n",
		       str(cur, "snapshot_seq"), str(cur, "snapshot_kind"), str(cur, "snapshot_source"),
		       str(cur, "snapshot_created"),
		       age_kv && age_kv->is_num && age_kv->num >= 0 ? human(age_kv->num, age, sizeof(age)) : "unknown",
		       str(cur, "imeis"), str(cur, "ranges"), str(cur, "reopen_count"));
	else
		printf("data: DATABASE UNAVAILABLE (%s): answering with policy failure\n", str(cur, "db_path"));
	sync_line(cur);
	printf("\n%-26s %14s %12s\n", "S13", "total", "per second");
	for (size_t i = 0; i < N_ROWS(counter_rows); i++)
		counter_row(counter_rows[i], cur, prev);
	printf("latency (read to answer): p50 %s us  p90 %s us  p99 %s us  p99.9 %s us  (%s answers)\n",
	       str(cur, "latency_p50_us"), str(cur, "latency_p90_us"), str(cur, "latency_p99_us"),
	       str(cur, "latency_p999_us"), str(cur, "latency_count"));
	printf("peers open: %s\n", str(cur, "peers_connected"));
	for (int i = 0; i < cur->n; i++)
		if (is_peer(&cur->kv[i], "s13"))
			peer_line("  ", &cur->kv[i]);
	for (int i = 0; i < cur->n; i++)
		if (is_peer(&cur->kv[i], "map"))
			peer_line("MAP ASP towards the STP: ", &cur->kv[i]);
	if (find_in(cur, "n5g", "n5g_rx_request")) {
		printf("\n%-26s %14s %12s\n", "N5g-eir", "total", "per second");
		for (size_t i = 0; i < N_ROWS(n5g_rows); i++)
			counter_row(n5g_rows[i], cur, prev);
		printf("latency (read to answer): p50 %s us  p90 %s us  p99 %s us  p99.9 %s us  (%s answers)\n",
		       str_in(cur, "n5g", "n5g_latency_p50_us"), str_in(cur, "n5g", "n5g_latency_p90_us"),
		       str_in(cur, "n5g", "n5g_latency_p99_us"), str_in(cur, "n5g", "n5g_latency_p999_us"),
		       str_in(cur, "n5g", "n5g_latency_count"));
		printf("served: %s (connections, plus the NRF when registered)\n", str_in(cur, "n5g", "peers_up"));
		for (int i = 0; i < cur->n; i++)
			if (is_peer(&cur->kv[i], "n5g"))
				peer_line("NRF: ", &cur->kv[i]);
	}
	printf("\n%-26s %14s %12s\n", "policy branch", "total", "per second");
	for (size_t i = 0; i < N_ROWS(branch_rows); i++)
		counter_row(branch_rows[i], cur, prev);
	verdict_view(cur, prev);
	observed_view(cur);
}

/* What went on the wire beside what the policy decided: they differ only
 * where an interface is in monitor mode, and then per branch. */
static void verdict_view(const struct sample *cur, const struct sample *prev)
{
	char key[64];
	bool any = false;

	if (!find_in(cur, "verdicts", "sent_whitelisted"))
		return;
	printf("\nmode: s13 %s, map %s, n5g %s\n", str_in(cur, "verdicts", "mode_s13"),
	       str_in(cur, "verdicts", "mode_map"), str_in(cur, "verdicts", "mode_n5g"));
	printf("%-26s %14s %14s\n", "verdict", "sent", "decided");
	for (size_t i = 0; i < N_ROWS(verdict_rows); i++) {
		snprintf(key, sizeof(key), "sent_%s", verdict_rows[i]);
		double sent = num(cur, key);
		snprintf(key, sizeof(key), "decided_%s", verdict_rows[i]);
		printf("%-26s %14.0f %14.0f\n", verdict_rows[i], sent, num(cur, key));
	}
	for (int i = 0; i < cur->n; i++) {
		const struct kv *k = &cur->kv[i];
		if (strcmp(k->section, "monitor") || !k->is_num || k->num <= 0)
			continue;
		if (!any)
			printf("%-26s %14s %12s\n", "sent whitelisted instead", "total", "per second");
		any = true;
		counter_row(k->key, cur, prev);
	}
	printf("grace: %s answers in grace, %s past it, %s grace periods started\n",
	       str_in(cur, "grace", "grace_in_grace"), str_in(cur, "grace", "grace_expired"),
	       str_in(cur, "grace", "grace_first_sightings"));
}

static void observed_view(const struct sample *cur)
{
	const char *state = str_in(cur, "observed", "observed_state");
	char used[32];

	if (!find_in(cur, "observed", "observed_state"))
		return;
	if (strcmp(state, "open")) {
		printf("observed: %s%s\n", state,
		       strcmp(state, "off") ? ": NOTHING RECORDED (grace counts from imported first sightings)" : "");
		return;
	}
	snprintf(used, sizeof(used), "%.1f MiB", num(cur, "observed_used_bytes") / 1048576.0);
	printf("observed: %s pairs (cap %s), %s IMEIs, %s used, last batch %s pairs in %.1f ms, %s pending, "
	       "%s dropped%s\n",
	       str_in(cur, "observed", "observed_pairs"), str_in(cur, "observed", "observed_max_pairs"),
	       str_in(cur, "observed", "observed_imeis"), used, str_in(cur, "observed", "observed_last_batch_pairs"),
	       num(cur, "observed_last_batch_us") / 1000.0, str_in(cur, "observed", "observed_pending"),
	       str_in(cur, "observed", "observed_dropped"),
	       num(cur, "observed_near_cap") > 0 ? "  NEAR ITS CAP" : "");
}

/* ------------------------------------------------------------ live view */


struct watch {
	const char *sock;
	double interval;
	bool tty;
	int fd;
	struct sample s[2];
	struct sample *last;	/* the last answer, NULL before the first */
	bool down;		/* the last attempt failed */
	time_t down_since;
	double down_since_t;
	long attempts;		/* failed attempts since down_since */
	char err[512];
};

/* A new process (another pid, or its uptime went back). */
static bool restarted(const struct sample *prev, const struct sample *cur)
{
	return strcmp(str(prev, "pid"), str(cur, "pid")) || num(cur, "uptime_seconds") < num(prev, "uptime_seconds");
}

/* A counter went back: eird's reset command. */
static bool counters_reset(const struct sample *prev, const struct sample *cur)
{
	for (size_t i = 0; i < N_ROWS(counter_rows); i++) {
		if (num(cur, counter_rows[i]) < num(prev, counter_rows[i]))
			return true;
	}
	for (size_t i = 0; i < N_ROWS(branch_rows); i++) {
		if (num(cur, branch_rows[i]) < num(prev, branch_rows[i]))
			return true;
	}
	return num(cur, "latency_count") < num(prev, "latency_count");
}

static void begin_page(const struct watch *w)
{
	if (w->tty)
		printf("\033[H\033[2J");
}

static void end_page(const struct watch *w)
{
	if (!w->tty)
		printf("--\n");
	fflush(stdout);
}

static void render_down(const struct watch *w)
{
	char when[32], since[32], d[32], up[32];
	time_t now = time(NULL);

	begin_page(w);
	printf("eird UNREACHABLE since %s (for %s)  now %s\n", local_time(w->down_since, since, sizeof(since)),
	       human(now_s() - w->down_since_t, d, sizeof(d)), local_time(now, when, sizeof(when)));
	printf("  %s\n", w->err);
	printf("  retrying every %gs (attempt %ld)\n", w->interval, w->attempts);
	if (w->last)
		printf("  last answer %s from pid %s, up %s then\n", local_time(w->last->wall, when, sizeof(when)),
		       str(w->last, "pid"), human(num(w->last, "uptime_seconds"), up, sizeof(up)));
	else
		printf("  no answer yet since eir-stat started\n");
	end_page(w);
}

/* One view: true when eird answered. */
static bool watch_once(struct watch *w)
{
	struct sample *cur = w->last == &w->s[0] ? &w->s[1] : &w->s[0];
	const struct sample *base = w->last;
	char err[512], notes[3][256], d[32], t[32], up[32];
	char *ans = NULL;
	int n_notes = 0;
	bool lost;

	/* A kept connection may have been closed by an eird that stopped
	 * since: one more try on a fresh connection before calling it down. */
	for (int tries = 0; tries < 2 && !ans && !stop_signal; tries++) {
		bool fresh = w->fd < 0;

		if (fresh && (w->fd = connect_sock(w->sock, err, sizeof(err))) < 0)
			break;
		ans = ask(w->fd, "stats", err, sizeof(err), &lost);
		if (!ans) {
			close(w->fd);
			w->fd = -1;
			if (fresh || !lost)
				break;
		}
	}
	if (stop_signal) {
		free(ans);
		return false;
	}
	if (!ans) {
		if (!w->down) {
			w->down = true;
			w->down_since = time(NULL);
			w->down_since_t = now_s();
			w->attempts = 0;
		}
		w->attempts++;
		snprintf(w->err, sizeof(w->err), "%s", err);
		render_down(w);
		return false;
	}
	cur->t = now_s();
	cur->wall = time(NULL);
	parse_stats(ans, cur);
	free(ans);
	if (w->down) {
		snprintf(notes[n_notes++], sizeof(notes[0]), "eird reachable again after %s unreachable (since %s)",
			 human(cur->t - w->down_since_t, d, sizeof(d)), local_time(w->down_since, t, sizeof(t)));
		base = NULL;
	}
	if (w->last && restarted(w->last, cur)) {
		snprintf(notes[n_notes++], sizeof(notes[0]),
			 "eird restarted (pid %s, was %s; up %s): counters start from zero", str(cur, "pid"),
			 str(w->last, "pid"), human(num(cur, "uptime_seconds"), up, sizeof(up)));
		base = NULL;
	} else if (w->last && counters_reset(w->last, cur)) {
		snprintf(notes[n_notes++], sizeof(notes[0]), "counters reset on eird");
		base = NULL;
	}
	if (w->last && !base)
		snprintf(notes[n_notes++], sizeof(notes[0]), "rates start again with the next view");
	begin_page(w);
	render(cur, base, notes, n_notes);
	end_page(w);
	w->last = cur;
	w->down = false;
	return true;
}

static void sleep_until(double deadline)
{
	while (!stop_signal) {
		double left = deadline - now_s();
		struct timespec ts;

		if (left <= 0)
			return;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);	/* a stop signal cuts it short */
	}
}

static int watch(const char *sock, double interval, long count)
{
	static struct watch w;
	struct sigaction sa = { .sa_handler = on_stop };	/* no SA_RESTART: a signal ends the waits */
	double next;
	bool ok = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	w.sock = sock;
	w.interval = interval;
	w.tty = isatty(STDOUT_FILENO);
	w.fd = -1;
	next = now_s();
	for (long i = 0; !stop_signal && (count < 0 || i < count); i++) {
		ok = watch_once(&w);
		if (stop_signal || (count >= 0 && i + 1 >= count))
			break;
		next += interval;
		if (next < now_s())
			next = now_s();	/* a slow answer: no burst to catch up */
		sleep_until(next);
	}
	if (w.fd >= 0)
		close(w.fd);
	return stop_signal || ok ? 0 : 1;
}

/* ------------------------------------------------------------ main */

static int one_shot(const char *sock, const char *cmd)
{
	static struct sample s;
	char err[512], *ans;
	bool lost;
	int fd = connect_sock(sock, err, sizeof(err));

	if (fd < 0) {
		fprintf(stderr, "eir-stat: %s\n", err);
		return 1;
	}
	ans = ask(fd, strcmp(cmd, "view") ? cmd : "stats", err, sizeof(err), &lost);
	close(fd);
	if (!ans) {
		fprintf(stderr, "eir-stat: %s: %s\n", sock, err);
		return 1;
	}
	if (!strcmp(cmd, "view")) {
		s.t = now_s();
		s.wall = time(NULL);
		parse_stats(ans, &s);
		render(&s, NULL, NULL, 0);
	} else {
		fputs(ans, stdout);
	}
	free(ans);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "eir-stat: cannot write the answer: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: eir-stat [-s SOCK] [stats|prometheus|json|view]\n"
		"       eir-stat [-s SOCK] --watch SECS [--count N]\n"
		"Read eird's stats socket (default " DEFAULT_SOCK ").\n"
		"  stats              sectioned key:value text (default)\n"
		"  prometheus         Prometheus text exposition format 0.0.4\n"
		"  json               one JSON object\n"
		"  view               the live view's page, once\n"
		"  -s, --socket SOCK  eird's stats-socket\n"
		"  -w, --watch SECS   a live view every SECS seconds (0.1 to 86400, fractions\n"
		"                     allowed) with per-second rates; while eird cannot be\n"
		"                     reached it says so and retries; SIGINT or SIGTERM ends it\n"
		"  -n, --count N      stop the live view after N views\n"
		"Exit status: 0 success, 1 eird not reachable or a bad answer, 2 usage error.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("eir-stat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nUsage: eir-stat [-s SOCK] [stats|prometheus|json|view]\n"
	      "       eir-stat [-s SOCK] --watch SECS [--count N]\n"
	      "Try 'eir-stat --help' for more information.\n", stderr);
	return 2;
}

/* Digits with at most one decimal point inside: no sign, exponent, hex,
 * inf or nan. */
static bool plain_number(const char *s, bool fraction)
{
	bool digits = false, point = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digits = true;
		} else if (*s == '.' && fraction && digits && !point && s[1]) {
			point = true;
		} else {
			return false;
		}
	}
	return digits;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = DEFAULT_SOCK, *cmd = NULL;
	double watch_secs = 0;
	long count = -1;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:w:n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!optarg[0])
				return usage_error("--socket: empty path");
			if (strlen(optarg) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
				return usage_error("--socket '%s': path too long (at most %zu bytes)", optarg,
						   sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
			sock = optarg;
			break;
		case 'w':
			if (!plain_number(optarg, true))
				return usage_error("--watch '%s': not a number of seconds (use %g to %g, such as 1 or 0.5)",
						   optarg, WATCH_MIN, WATCH_MAX);
			watch_secs = strtod(optarg, NULL);
			if (watch_secs < WATCH_MIN || watch_secs > WATCH_MAX)
				return usage_error("--watch '%s': out of range (use %g to %g seconds)", optarg, WATCH_MIN,
						   WATCH_MAX);
			break;
		case 'n':
			if (!plain_number(optarg, false))
				return usage_error("--count '%s': not a whole number of views (use 1 to %ld)", optarg,
						   COUNT_MAX);
			errno = 0;
			count = strtol(optarg, NULL, 10);
			if (errno || count < 1 || count > COUNT_MAX)
				return usage_error("--count '%s': out of range (use 1 to %ld)", optarg, COUNT_MAX);
			break;
		case 'V':
			printf("eir-stat %s\n", EIR_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			/* optopt: 0 for an unknown long option, else the option */
			if (!optopt)
				return usage_error("unknown option '%s'", argv[optind - 1]);
			if (!strncmp(argv[optind - 1], "--", 2) && strchr(argv[optind - 1], '='))
				return usage_error("option '%s' takes no value", argv[optind - 1]);
			return usage_error("unknown option '-%c'", optopt);
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (cmd && strcmp(cmd, "stats") && strcmp(cmd, "prometheus") && strcmp(cmd, "json") && strcmp(cmd, "view"))
		return usage_error("unknown command '%s' (use stats, prometheus, json or view)", cmd);
	if (optind < argc)
		return usage_error("unexpected argument '%s' after the command '%s'", argv[optind], cmd);
	if (count > 0 && watch_secs <= 0)
		return usage_error("--count needs --watch");
	if (watch_secs > 0) {
		/* `stats --watch` has always meant the live view; the raw
		 * formats are for one-shot reads. */
		if (cmd && strcmp(cmd, "view") && strcmp(cmd, "stats"))
			return usage_error("--watch shows the live view and takes no command but stats or view (got '%s')",
					   cmd);
		return watch(sock, watch_secs, count);
	}
	return one_shot(sock, cmd ? cmd : "stats");
}
