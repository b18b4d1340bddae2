/* eir-stat: the NOC's view of eird, read from its stats socket. Prints one
 * answer (stats, prometheus or json), or with --watch a live view that
 * redraws in place on a terminal: counters with per-second rates, latency
 * percentiles, peers and data freshness. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCK "/run/eir/eird.sock"
#define MAX_KEYS 256

static int connect_sock(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "eir-stat: socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "eir-stat: cannot connect to %s: %s (is eird running, with stats-socket there?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send cmd, read the answer up to its terminating empty line. Returns a
 * malloc'd string without that line, or NULL. */
static char *ask(int fd, const char *cmd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	if (!buf || dprintf(fd, "%s\n", cmd) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= 2 && !strcmp(buf + len - 2, "\n\n")) {
			buf[len - 1] = '\0';
			return buf;
		}
	}
}

struct kv {
	char key[64];
	char val[160];
	double num;
	bool is_num;
};

static int parse_stats(char *text, struct kv *kv, int max)
{
	int n = 0;

	for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
		char *colon = strchr(line, ':');
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		snprintf(kv[n].key, sizeof(kv[n].key), "%s", line);
		snprintf(kv[n].val, sizeof(kv[n].val), "%s", colon + 1);
		char *end;
		kv[n].num = strtod(colon + 1, &end);
		kv[n].is_num = end != colon + 1 && !*end;
		n++;
	}
	return n;
}

static const struct kv *find(const struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(kv[i].key, key))
			return &kv[i];
	}
	return NULL;
}

static double num(const struct kv *kv, int n, const char *key)
{
	const struct kv *k = find(kv, n, key);
	return k && k->is_num ? k->num : 0;
}

static const char *str(const struct kv *kv, int n, const char *key)
{
	const struct kv *k = find(kv, n, key);
	return k ? k->val : "-";
}

static void render(const struct kv *cur, int nc, const struct kv *prev, int np, double dt, bool tty)
{
	static const char *const rows[] = {
		"s13_rx_ecr", "s13_tx_whitelisted", "s13_tx_blacklisted", "s13_tx_greylisted", "s13_tx_unknown",
		"diameter_tx_error", "diameter_cer_refused", "diameter_framing_error", "diameter_watchdog_close",
	};
	static const char *const branches[] = {
		"invalid", "exempt", "paired-exception", "pair-mismatch", "active", "registered", "traveller",
		"expired", "blocked", "tracked", "range", "unknown", "failure",
	};
	char when[32];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	if (tty)
		printf("\033[H\033[2J");
	printf("eird %s  pid %s  up %.0f s  %s   rss %.1f MiB  fds %.0f\n", str(cur, nc, "version"),
	       str(cur, nc, "pid"), num(cur, nc, "uptime_seconds"), when, num(cur, nc, "rss_bytes") / 1048576.0,
	       num(cur, nc, "open_fds"));
	if (!strcmp(str(cur, nc, "db_state"), "open"))
		printf("data: seq %s (%s) from %s, created %s, age %.0f s, %s IMEIs, %s ranges, %s reopens\n",
		       str(cur, nc, "snapshot_seq"), str(cur, nc, "snapshot_kind"), str(cur, nc, "snapshot_source"),
		       str(cur, nc, "snapshot_created"), num(cur, nc, "snapshot_age_seconds"), str(cur, nc, "imeis"),
		       str(cur, nc, "ranges"), str(cur, nc, "reopen_count"));
	else
		printf("data: DATABASE UNAVAILABLE (%s): answering with policy failure\n", str(cur, nc, "db_path"));
	printf("\n%-26s %14s %12s\n", "S13", "total", "per second");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double v = num(cur, nc, rows[i]), r = prev && dt > 0 ? (v - num(prev, np, rows[i])) / dt : 0;
		printf("%-26s %14.0f %12.0f\n", rows[i], v, r < 0 ? 0 : r);
	}
	printf("latency (read to answer): p50 %s us  p90 %s us  p99 %s us  p99.9 %s us  (%s answers)\n",
	       str(cur, nc, "latency_p50_us"), str(cur, nc, "latency_p90_us"), str(cur, nc, "latency_p99_us"),
	       str(cur, nc, "latency_p999_us"), str(cur, nc, "latency_count"));
	printf("peers open: %s\n", str(cur, nc, "peers_connected"));
	for (int i = 0; i < nc; i++) {
		if (!strcmp(cur[i].key, "peer"))
			printf("  %s\n", cur[i].val);
	}
	printf("\n%-26s %14s %12s\n", "policy branch", "total", "per second");
	for (size_t i = 0; i < sizeof(branches) / sizeof(branches[0]); i++) {
		double v = num(cur, nc, branches[i]), r = prev && dt > 0 ? (v - num(prev, np, branches[i])) / dt : 0;
		printf("%-26s %14.0f %12.0f\n", branches[i], v, r < 0 ? 0 : r);
	}
	if (!tty)
		printf("--\n");
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	const char *sock = DEFAULT_SOCK, *cmd = "stats";
	double watch = 0;
	long count = -1;
	int c, fd;

	while ((c = getopt_long(argc, argv, "s:w:n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'w': watch = atof(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'V': printf("eir-stat %s\n", EIR_VERSION); return 0;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: eir-stat [-s SOCK] [stats|prometheus|json] [--watch SECS [--count N]]\n"
				"Read eird's stats socket (default " DEFAULT_SOCK ").\n"
				"  stats        sectioned key:value text (default)\n"
				"  prometheus   Prometheus text exposition format 0.0.4\n"
				"  json         one JSON object\n"
				"  --watch SECS a live view every SECS seconds with per-second rates;\n"
				"               --count N stops after N views\n"
				"Exit status: 0 success, 1 eird not reachable or a bad answer, 2 usage error.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind != argc || (strcmp(cmd, "stats") && strcmp(cmd, "prometheus") && strcmp(cmd, "json"))) {
		fprintf(stderr, "eir-stat: unknown command; use stats, prometheus or json\n");
		return 2;
	}
	fd = connect_sock(sock);
	if (fd < 0)
		return 1;
	if (watch <= 0) {
		char *ans = ask(fd, cmd);
		if (!ans) {
			fprintf(stderr, "eir-stat: no answer from %s\n", sock);
			return 1;
		}
		fputs(ans, stdout);
		free(ans);
		close(fd);
		return 0;
	}
	static struct kv a[MAX_KEYS], b[MAX_KEYS];
	struct kv *cur = a, *prev = NULL;
	int nc, np = 0;
	double t_prev = 0;
	bool tty = isatty(STDOUT_FILENO);

	for (long i = 0; count < 0 || i < count; i++) {
		char *ans = ask(fd, "stats");
		double t = now_s();
		if (!ans) {
			fprintf(stderr, "eir-stat: eird went away\n");
			return 1;
		}
		nc = parse_stats(ans, cur, MAX_KEYS);
		free(ans);
		render(cur, nc, prev, np, t - t_prev, tty);
		prev = cur, np = nc, t_prev = t;
		cur = cur == a ? b : a;
		if (count < 0 || i + 1 < count)
			usleep((useconds_t)(watch * 1e6));
	}
	close(fd);
	return 0;
}
