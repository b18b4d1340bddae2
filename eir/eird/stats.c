/* eird's stats socket: a Unix stream socket for the NOC. One command per
 * line (stats, prometheus, json, reset, help; the answers come from the
 * one list of metrics.c); each response ends with an empty line. Clients are bounded in number and in pending output, and
 * written to without blocking: a slow or stuck client loses its connection,
 * never eird's time. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stat_item.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "cmdline.h"
#include "eird.h"
#include "hist.h"
#include "metrics.h"
#include "stats.h"
#include "store.h"

#define MAX_CLIENTS 32
#define MAX_PENDING (1 << 20)	/* output a client may leave unread */

struct client {
	struct llist_head list;
	struct osmo_fd ofd;
	struct stats_lines in;
	bool eof;		/* the client is done writing: close once answered */
	char *out;
	size_t outlen, outcap;
};

static struct {
	struct osmo_fd listen;
	struct llist_head clients;
	unsigned n_clients;
	time_t started;
	struct osmo_stat_item_group *items;
	struct osmo_timer_list item_timer;
} S = { .clients = LLIST_HEAD_INIT(S.clients), .listen = { .fd = -1 } };

/* The gauges as libosmocore stat items too, so that the VTY (show stats)
 * and the statsd reporter show the same values: the data's, then each
 * configured front end's latency percentiles and peers up. The names are
 * built at start from the front ends (docs/stats.md). */
enum { ITEM_SNAPSHOT_SEQ, ITEM_SNAPSHOT_AGE, ITEM_DB_UP, ITEM_FE_FIRST };
#define FE_ITEMS 5	/* p50, p90, p99, p999, peers up */

static const double pcts[] = { 0.5, 0.9, 0.99, 0.999 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p999" };
static const char *const pct_words[] = { "50th", "90th", "99th", "99.9th" };

static void items_alloc(void *ctx)
{
	const struct eird_frontend *const *fe;
	struct osmo_stat_item_desc *d;
	struct osmo_stat_item_group_desc *gd;
	unsigned n = ITEM_FE_FIRST, i;

	for (fe = eird_frontends; *fe; fe++)
		n += FE_ITEMS;
	d = talloc_zero_array(ctx, struct osmo_stat_item_desc, n);
	gd = talloc_zero(ctx, struct osmo_stat_item_group_desc);
	d[ITEM_SNAPSHOT_SEQ] = (struct osmo_stat_item_desc){ "data:snapshot-seq", "Sequence number of the snapshot in service", "", 0, 0 };
	d[ITEM_SNAPSHOT_AGE] = (struct osmo_stat_item_desc){ "data:snapshot-age", "Age of the snapshot in service", "s", 0, -1 };
	d[ITEM_DB_UP] = (struct osmo_stat_item_desc){ "data:up", "1 when the database is open", "", 0, 0 };
	for (fe = eird_frontends, i = ITEM_FE_FIRST; *fe; fe++, i += FE_ITEMS) {
		for (unsigned p = 0; p < 4; p++)
			d[i + p] = (struct osmo_stat_item_desc){
				talloc_asprintf(ctx, "%s:%s", (*fe)->latency_item, pct_names[p]),
				talloc_asprintf(ctx, "%s latency, %s percentile", (*fe)->title, pct_words[p]), "us", 0, 0 };
		d[i + 4] = (struct osmo_stat_item_desc){ (*fe)->peers_item, (*fe)->peers_help, "", 0, 0 };
	}
	/* The descriptor's fields are const: built on the stack, copied. */
	const struct osmo_stat_item_group_desc tmpl = {
		.group_name_prefix = "eird", .group_description = "EIR gauges",
		.class_id = OSMO_STATS_CLASS_GLOBAL, .num_items = n, .item_desc = d,
	};
	memcpy(gd, &tmpl, sizeof(tmpl));
	S.items = osmo_stat_item_group_alloc(ctx, gd, 0);
}

static void set_item(unsigned i, double v)
{
	osmo_stat_item_set(osmo_stat_item_group_get_item(S.items, i), (int32_t)(v > 2e9 ? 2e9 : v));
}

static void count_up(void *ctx, const struct eird_peer *p)
{
	*(unsigned *)ctx += p->up;
}

static void item_timer_cb(void *data)
{
	const struct eird_frontend *const *fe;
	struct eir_meta m;
	uint64_t reopens;
	unsigned i;

	if (eird_meta(&m, &reopens)) {
		set_item(ITEM_DB_UP, 1);
		set_item(ITEM_SNAPSHOT_SEQ, (double)m.seq);
		set_item(ITEM_SNAPSHOT_AGE, m.created ? (double)(time(NULL) - (time_t)m.created) : -1);
	} else {
		set_item(ITEM_DB_UP, 0);
	}
	for (fe = eird_frontends, i = ITEM_FE_FIRST; *fe; fe++, i += FE_ITEMS) {
		const struct eir_hist *h = (*fe)->latency();
		unsigned up = 0;

		if (!(*fe)->counters())
			continue;
		for (unsigned p = 0; h && p < 4; p++)
			set_item(i + p, eir_hist_percentile(h, pcts[p]));
		(*fe)->foreach_peer(count_up, &up);
		set_item(i + 4, up);
	}
	osmo_timer_schedule(&S.item_timer, 1, 0);
}

/* ------------------------------------------------------------ clients */

static void client_close(struct client *c)
{
	osmo_fd_unregister(&c->ofd);
	close(c->ofd.fd);
	llist_del(&c->list);
	S.n_clients--;
	talloc_free(c);
}

static int client_queue(struct client *c, const char *p, size_t n)
{
	if (c->outlen + n > MAX_PENDING) {
		LOGP(DMAIN, LOGL_NOTICE, "stats socket: a client left %zu bytes unread, dropping it\n", c->outlen);
		return -1;
	}
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 16384;
		while (cap < c->outlen + n)
			cap *= 2;
		char *np = talloc_realloc_size(c, c->out, cap);
		if (!np)
			return -1;
		c->out = np, c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	osmo_fd_write_enable(&c->ofd);
	return 0;
}

static int run_command(void *ctx, enum stats_cmd cmd, const char *line)
{
	struct client *c = ctx;
	struct out o = { .ctx = c };
	struct metrics *l;
	int rc;

	switch (cmd) {
	case STATS_CMD_STATS:
	case STATS_CMD_PROMETHEUS:
	case STATS_CMD_JSON:
		l = metrics_collect(c, (uint64_t)(time(NULL) - S.started));
		if (cmd == STATS_CMD_STATS)
			metrics_fmt_stats(&o, l);
		else if (cmd == STATS_CMD_PROMETHEUS)
			metrics_fmt_prometheus(&o, l);
		else
			metrics_fmt_json(&o, l);
		talloc_free(l->ctx);
		break;
	case STATS_CMD_RESET:
		metrics_reset();
		LOGP(DMAIN, LOGL_NOTICE, "stats socket: counters reset\n");
		out_put(&o, "ok: counters reset\n");
		break;
	case STATS_CMD_HELP:
		out_put(&o, "commands, one per line: stats (key:value), prometheus (text format 0.0.4), json, "
			"reset (counters only), help\n");
		break;
	case STATS_CMD_TOO_LONG:
		out_put(&o, "error: line too long (at most %d bytes)\n", STATS_MAX_LINE - 1);
		break;
	case STATS_CMD_UNKNOWN:
		out_put(&o, "error: unknown command '%s' (try help)\n", osmo_escape_str(line, -1));
		break;
	}
	out_put(&o, "\n");
	rc = o.p ? client_queue(c, o.p, o.len) : -1;
	talloc_free(o.p);
	return rc;
}

static int client_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct client *c = ofd->data;

	if ((what & OSMO_FD_READ) && !c->eof) {
		char buf[4096];
		ssize_t n = read(ofd->fd, buf, sizeof(buf));

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_close(c);
			return 0;
		}
		if (n > 0 && stats_lines_feed(&c->in, buf, (size_t)n, run_command, c) < 0) {
			client_close(c);
			return 0;
		}
		if (n == 0) {
			/* The client half-closed (echo stats | nc -U): stop
			 * reading, answer what it asked, then close. */
			c->eof = true;
			osmo_fd_read_disable(ofd);
			if (stats_lines_eof(&c->in, run_command, c) < 0) {
				client_close(c);
				return 0;
			}
		}
	}
	if ((what & OSMO_FD_WRITE) && c->outlen) {
		ssize_t n = write(ofd->fd, c->out, c->outlen);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_close(c);
			return 0;
		}
		if (n > 0) {
			memmove(c->out, c->out + n, c->outlen - (size_t)n);
			c->outlen -= (size_t)n;
		}
		if (!c->outlen)
			osmo_fd_write_disable(ofd);
	}
	if (c->eof && !c->outlen)
		client_close(c);
	return 0;
}

static int accept_cb(struct osmo_fd *ofd, unsigned int what)
{
	int fd = accept4(ofd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c;

	if (fd < 0)
		return 0;
	if (S.n_clients >= MAX_CLIENTS) {
		static const char busy[] = "error: too many clients\n\n";
		if (write(fd, busy, sizeof(busy) - 1) < 0)
			LOGP(DMAIN, LOGL_DEBUG, "stats socket: refused a client\n");
		close(fd);
		return 0;
	}
	c = talloc_zero(g_eird->ctx, struct client);
	if (!c) {
		close(fd);
		return 0;
	}
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, client_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		talloc_free(c);
		return 0;
	}
	llist_add_tail(&c->list, &S.clients);
	S.n_clients++;
	return 0;
}

/* Only a socket nobody answers on is removed: a file that is not a socket
 * is never deleted, and a live socket (another eird) is never taken over. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		LOGP(DMAIN, LOGL_FATAL, "stats socket: %s exists and is not a socket; not removing it\n", sa->sun_path);
		return -1;
	}
	/* Non-blocking: a live eird with a full backlog answers EAGAIN, and
	 * that means in use too; only ECONNREFUSED means nobody is there. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0 || (errno != ECONNREFUSED && errno != ENOENT)) {
		LOGP(DMAIN, LOGL_FATAL, "stats socket: %s is in use by another process (another eird?)%s%s\n",
		     sa->sun_path, rc ? ": " : "", rc ? strerror(errno) : "");
		return -1;
	}
	LOGP(DMAIN, LOGL_NOTICE, "stats socket: removing the stale socket %s\n", sa->sun_path);
	unlink(sa->sun_path);
	return 0;
}

int stats_socket_start(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	int fd;

	S.started = time(NULL);
	items_alloc(g_eird->ctx);
	osmo_timer_setup(&S.item_timer, item_timer_cb, NULL);
	osmo_timer_schedule(&S.item_timer, 1, 0);
	if (!path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		LOGP(DMAIN, LOGL_FATAL, "stats socket: path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/')) {
		*strrchr(dir, '/') = '\0';
		if (dir[0])
			mkdir(dir, 0755);
	}
	strcpy(sa.sun_path, path);
	if (clear_stale(&sa) < 0)
		return -EADDRINUSE;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		LOGP(DMAIN, LOGL_FATAL, "stats socket: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (chmod(path, 0660) < 0)
		LOGP(DMAIN, LOGL_ERROR, "stats socket: chmod %s: %s\n", path, strerror(errno));
	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr || chown(path, (uid_t)-1, gr->gr_gid) < 0)
			LOGP(DMAIN, LOGL_ERROR, "stats socket: cannot give %s to group %s\n", path, group);
	}
	osmo_fd_setup(&S.listen, fd, OSMO_FD_READ, accept_cb, NULL, 0);
	if (osmo_fd_register(&S.listen) < 0) {
		close(fd);
		return -EIO;
	}
	LOGP(DMAIN, LOGL_NOTICE, "stats socket on %s\n", path);
	return 0;
}

void stats_socket_stop(void)
{
	struct client *c, *tmp;
	struct sockaddr_un sa;
	socklen_t sl = sizeof(sa);

	llist_for_each_entry_safe(c, tmp, &S.clients, list)
		client_close(c);
	osmo_timer_del(&S.item_timer);
	if (S.listen.fd < 0)
		return;
	if (getsockname(S.listen.fd, (struct sockaddr *)&sa, &sl) == 0 && sa.sun_path[0])
		unlink(sa.sun_path);
	osmo_fd_unregister(&S.listen);
	close(S.listen.fd);
	S.listen.fd = -1;
}
