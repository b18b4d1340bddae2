/* eird's stats socket: a Unix stream socket for the NOC. One command per
 * line (stats, prometheus, json, reset, help); each response ends with an
 * empty line. Clients are bounded in number and in pending output, and
 * written to without blocking: a slow or stuck client loses its connection,
 * never eird's time. */
#include <ctype.h>
#include <dirent.h>
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
#include "config.h"
#include "eird.h"
#include "hist.h"
#include "server.h"
#include "socket.h"
#include "store.h"
#include "timefmt.h"
#ifdef HAVE_MAP
#include "map.h"
#endif

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

/* The gauges of the stats socket as libosmocore stat items too, so that
 * the VTY (show stats) and the statsd reporter show the same values. */
enum {
	ITEM_LAT_P50, ITEM_LAT_P90, ITEM_LAT_P99, ITEM_LAT_P999,
	ITEM_SNAPSHOT_SEQ, ITEM_SNAPSHOT_AGE, ITEM_DB_UP, ITEM_PEERS,
	ITEM_MAP_LAT_P50, ITEM_MAP_LAT_P90, ITEM_MAP_LAT_P99, ITEM_MAP_LAT_P999, ITEM_MAP_ASP_UP,
};

static const struct osmo_stat_item_desc item_desc[] = {
	[ITEM_LAT_P50] = { "s13:latency:p50", "S13 latency, 50th percentile", "us", 0, 0 },
	[ITEM_LAT_P90] = { "s13:latency:p90", "S13 latency, 90th percentile", "us", 0, 0 },
	[ITEM_LAT_P99] = { "s13:latency:p99", "S13 latency, 99th percentile", "us", 0, 0 },
	[ITEM_LAT_P999] = { "s13:latency:p999", "S13 latency, 99.9th percentile", "us", 0, 0 },
	[ITEM_SNAPSHOT_SEQ] = { "data:snapshot-seq", "Sequence number of the snapshot in service", "", 0, 0 },
	[ITEM_SNAPSHOT_AGE] = { "data:snapshot-age", "Age of the snapshot in service", "s", 0, -1 },
	[ITEM_DB_UP] = { "data:up", "1 when the database is open", "", 0, 0 },
	[ITEM_PEERS] = { "diameter:peers", "Diameter peers in the open state", "", 0, 0 },
	[ITEM_MAP_LAT_P50] = { "map:latency:p50", "MAP latency, 50th percentile", "us", 0, 0 },
	[ITEM_MAP_LAT_P90] = { "map:latency:p90", "MAP latency, 90th percentile", "us", 0, 0 },
	[ITEM_MAP_LAT_P99] = { "map:latency:p99", "MAP latency, 99th percentile", "us", 0, 0 },
	[ITEM_MAP_LAT_P999] = { "map:latency:p999", "MAP latency, 99.9th percentile", "us", 0, 0 },
	[ITEM_MAP_ASP_UP] = { "map:asp-up", "1 when the ASP towards the STP is active", "", 0, 0 },
};

static const struct osmo_stat_item_group_desc item_group_desc = {
	.group_name_prefix = "eird",
	.group_description = "EIR gauges",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_items = ARRAY_SIZE(item_desc),
	.item_desc = item_desc,
};

/* ------------------------------------------------------------ output */

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->p && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap ? o->cap * 2 : 8192;
		while (cap < o->len + (size_t)n + 1)
			cap *= 2;
		char *np = talloc_realloc_size(g_eird->ctx, o->p, cap);
		if (!np)
			return;
		o->p = np, o->cap = cap;
	}
}

/* ------------------------------------------------------------ snapshot */

struct peer_line {
	char host[256], addr[64], state[16];
};

struct snap {
	time_t now;
	long rss;
	int fds;
	bool db_open;
	struct eir_meta meta;
	uint64_t reopens;
	struct rate_ctr_group *branches, *diam, *map;
	struct eir_hist lat, map_lat;
	const char *map_asp, *map_asp_state;
	struct peer_line peers[64];
	unsigned n_peers, n_open;
	/* eir-sync's last attempt (DIR/sync-status), "" when unknown */
	char sync_attempt[32], sync_result[32], sync_success[32], sync_message[256];
};

/* Text that reaches the NOC's view comes from peers, snapshot files and
 * eir-sync's messages: no control character in it may start a line or
 * move a cursor (C0, DEL, and the 8-bit C1 such as CSI 0x9b), and the JSON
 * must stay valid UTF-8: all of these and every other byte outside ASCII
 * become '?'. */
static void clean(char *dst, size_t sz, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < sz; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || (unsigned char)src[i] >= 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

/* The last eir-sync attempt, as eir-sync records it beside the database. */
static void read_sync_status(struct snap *s)
{
	char path[4096], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sync-status", g_eird->db_path);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');
		if (!v)
			continue;
		*v++ = '\0';
		while (*v == ' ')
			v++;
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "last-attempt"))
			clean(s->sync_attempt, sizeof(s->sync_attempt), v);
		else if (!strcmp(line, "last-result"))
			clean(s->sync_result, sizeof(s->sync_result), v);
		else if (!strcmp(line, "last-success"))
			clean(s->sync_success, sizeof(s->sync_success), v);
		else if (!strcmp(line, "last-message"))
			clean(s->sync_message, sizeof(s->sync_message), v);
	}
	fclose(f);
}

static void add_peer(void *ctx, const char *peer, const char *addr, const char *state)
{
	struct snap *s = ctx;

	if (!strcmp(state, "open"))
		s->n_open++;
	if (s->n_peers == sizeof(s->peers) / sizeof(s->peers[0]))
		return;
	clean(s->peers[s->n_peers].host, sizeof(s->peers[0].host), peer);
	clean(s->peers[s->n_peers].addr, sizeof(s->peers[0].addr), addr);
	clean(s->peers[s->n_peers].state, sizeof(s->peers[0].state), state);
	s->n_peers++;
}

static void take_snapshot(struct snap *s)
{
	FILE *f;
	DIR *d;

	memset(s, 0, sizeof(*s));
	s->now = time(NULL);
	f = fopen("/proc/self/statm", "r");
	if (f) {
		long size, rss;
		if (fscanf(f, "%ld %ld", &size, &rss) == 2)
			s->rss = rss * sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			s->fds += de->d_name[0] != '.';
		closedir(d);
		s->fds--;	/* the directory itself */
	}
	eird_store_ensure();	/* the NOC sees the data before the first query does */
	if (g_eird->store && eir_store_get_meta(g_eird->store, &s->meta) == 0) {
		s->db_open = true;
		clean(s->meta.kind, sizeof(s->meta.kind), s->meta.kind);
		clean(s->meta.source, sizeof(s->meta.source), s->meta.source);
		s->reopens = eir_store_reopen_count(g_eird->store);
	}
	if (g_eird->store)
		eir_store_end(g_eird->store);
	read_sync_status(s);
	s->branches = g_eird->branches;
	s->diam = diameter_counters();
	if (diameter_latency())
		s->lat = *diameter_latency();
	diameter_foreach_conn(add_peer, s);
#ifdef HAVE_MAP
	s->map = map_counters();
	if (map_latency())
		s->map_lat = *map_latency();
	if (!map_asp_state(&s->map_asp, &s->map_asp_state))
		s->map_asp = s->map_asp_state = NULL;
#endif
}

static uint64_t ctr(struct rate_ctr_group *g, unsigned i)
{
	return g && i < g->desc->num_ctr ? (uint64_t)rate_ctr_group_get_ctr(g, i)->current : 0;
}

static const char *ctr_name(struct rate_ctr_group *g, unsigned i)
{
	return g->desc->ctr_desc[i].name;
}

/* "s13:tx:whitelisted" -> "s13_tx_whitelisted" */
static const char *plain(const char *name, char *buf, size_t sz)
{
	size_t i = 0;

	for (; name[i] && i + 1 < sz; i++)
		buf[i] = isalnum((unsigned char)name[i]) ? name[i] : '_';
	buf[i] = '\0';
	return buf;
}

static uint64_t total_imeis(const struct eir_meta *m)
{
	uint64_t t = 0;
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
		t += m->count[st];
	return t;
}

static const double pcts[] = { 0.5, 0.9, 0.99, 0.999 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p999" };

static void set_item(unsigned i, double v)
{
	osmo_stat_item_set(osmo_stat_item_group_get_item(S.items, i), (int32_t)(v > 2e9 ? 2e9 : v));
}

static void item_timer_cb(void *data)
{
	struct snap s;

	take_snapshot(&s);
	set_item(ITEM_LAT_P50, eir_hist_percentile(&s.lat, 0.5));
	set_item(ITEM_LAT_P90, eir_hist_percentile(&s.lat, 0.9));
	set_item(ITEM_LAT_P99, eir_hist_percentile(&s.lat, 0.99));
	set_item(ITEM_LAT_P999, eir_hist_percentile(&s.lat, 0.999));
	set_item(ITEM_DB_UP, s.db_open);
	set_item(ITEM_PEERS, s.n_open);
	if (s.map) {
		set_item(ITEM_MAP_LAT_P50, eir_hist_percentile(&s.map_lat, 0.5));
		set_item(ITEM_MAP_LAT_P90, eir_hist_percentile(&s.map_lat, 0.9));
		set_item(ITEM_MAP_LAT_P99, eir_hist_percentile(&s.map_lat, 0.99));
		set_item(ITEM_MAP_LAT_P999, eir_hist_percentile(&s.map_lat, 0.999));
		set_item(ITEM_MAP_ASP_UP, s.map_asp_state && !strcmp(s.map_asp_state, "active"));
	}
	if (s.db_open) {
		set_item(ITEM_SNAPSHOT_SEQ, (double)s.meta.seq);
		set_item(ITEM_SNAPSHOT_AGE, s.meta.created ? (double)(s.now - (time_t)s.meta.created) : -1);
	}
	osmo_timer_schedule(&S.item_timer, 1, 0);
}

/* ------------------------------------------------------------ formats */

static void fmt_stats(struct out *o, const struct snap *s)
{
	char name[64], when[32];

	put(o, "# server\nversion:%s\nuptime_seconds:%ld\npid:%d\nrss_bytes:%ld\nopen_fds:%d\n",
	    EIR_VERSION, (long)(s->now - S.started), (int)getpid(), s->rss, s->fds);
	put(o, "# data\ndb_path:%s\ndb_state:%s\n", g_eird->db_path, s->db_open ? "open" : "unavailable");
	if (s->db_open) {
		put(o, "snapshot_seq:%llu\nsnapshot_kind:%s\nsnapshot_source:%s\n",
		    (unsigned long long)s->meta.seq, s->meta.kind, s->meta.source);
		put(o, "snapshot_created:%s\n", s->meta.created ? eir_time_format(s->meta.created, when, sizeof(when)) : "-");
		put(o, "snapshot_imported:%s\n", s->meta.imported ? eir_time_format(s->meta.imported, when, sizeof(when)) : "-");
		put(o, "snapshot_age_seconds:%lld\n", s->meta.created ? (long long)(s->now - (time_t)s->meta.created) : -1LL);
		put(o, "imeis:%llu\n", (unsigned long long)total_imeis(&s->meta));
		for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
			put(o, "imeis_%s:%llu\n", eir_status_name(st), (unsigned long long)s->meta.count[st]);
		put(o, "ranges:%llu\npaired_imeis:%llu\nreopen_count:%llu\n", (unsigned long long)s->meta.ranges,
		    (unsigned long long)s->meta.paired_imeis, (unsigned long long)s->reopens);
	}
	put(o, "sync_last_attempt:%s\nsync_last_result:%s\nsync_last_success:%s\nsync_last_message:%s\n",
	    s->sync_attempt[0] ? s->sync_attempt : "-", s->sync_result[0] ? s->sync_result : "-",
	    s->sync_success[0] ? s->sync_success : "-", s->sync_message[0] ? s->sync_message : "-");
	put(o, "# s13\n");
	for (unsigned i = 0; s->diam && i < s->diam->desc->num_ctr; i++)
		put(o, "%s:%llu\n", plain(ctr_name(s->diam, i), name, sizeof(name)), (unsigned long long)ctr(s->diam, i));
	put(o, "peers_connected:%u\n", s->n_open);
	for (unsigned i = 0; i < s->n_peers; i++)
		put(o, "peer:%s %s %s\n", s->peers[i].host, s->peers[i].addr, s->peers[i].state);
	put(o, "latency_count:%llu\n", (unsigned long long)s->lat.count);
	for (unsigned i = 0; i < 4; i++)
		put(o, "latency_%s_us:%.1f\n", pct_names[i], eir_hist_percentile(&s->lat, pcts[i]));
	if (s->map) {
		put(o, "# map\n");
		for (unsigned i = 0; i < s->map->desc->num_ctr; i++)
			put(o, "%s:%llu\n", plain(ctr_name(s->map, i), name, sizeof(name)), (unsigned long long)ctr(s->map, i));
		if (s->map_asp)
			put(o, "asp:%s %s\n", s->map_asp, s->map_asp_state);
		put(o, "map_latency_count:%llu\n", (unsigned long long)s->map_lat.count);
		for (unsigned i = 0; i < 4; i++)
			put(o, "map_latency_%s_us:%.1f\n", pct_names[i], eir_hist_percentile(&s->map_lat, pcts[i]));
	}
	put(o, "# policy\n");
	for (int b = 0; s->branches && b < EIR_BRANCH_COUNT; b++)
		put(o, "%s:%llu\n", eir_branch_name(b), (unsigned long long)ctr(s->branches, (unsigned)b));
}

static void prom_head(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter metric per rate counter: "s13:rx:ecr" -> eir_s13_rx_ecr_total. */
static void prom_counters(struct out *o, struct rate_ctr_group *g)
{
	char name[64], metric[96];

	for (unsigned i = 0; i < g->desc->num_ctr; i++) {
		snprintf(metric, sizeof(metric), "eir_%s_total", plain(ctr_name(g, i), name, sizeof(name)));
		prom_head(o, metric, "counter", g->desc->ctr_desc[i].description);
		put(o, "%s %llu\n", metric, (unsigned long long)ctr(g, i));
	}
}

static void prom_hist(struct out *o, const char *metric, const char *help, const struct eir_hist *h)
{
	uint64_t acc = 0;

	prom_head(o, metric, "histogram", help);
	for (unsigned i = 0; i < EIR_HIST_BUCKETS - 1; i++) {
		acc += h->bucket[i];
		put(o, "%s_bucket{le=\"%g\"} %llu\n", metric, eir_hist_bound_us(i) / 1e6, (unsigned long long)acc);
	}
	put(o, "%s_bucket{le=\"+Inf\"} %llu\n", metric, (unsigned long long)h->count);
	put(o, "%s_sum %.9f\n", metric, (double)h->sum_ns / 1e9);
	put(o, "%s_count %llu\n", metric, (unsigned long long)h->count);
}

static void fmt_prometheus(struct out *o, const struct snap *s)
{

	prom_head(o, "eir_info", "gauge", "Version of eird.");
	put(o, "eir_info{version=\"%s\"} 1\n", EIR_VERSION);
	prom_head(o, "eir_uptime_seconds", "gauge", "Seconds since eird started.");
	put(o, "eir_uptime_seconds %ld\n", (long)(s->now - S.started));
	prom_head(o, "eir_process_resident_memory_bytes", "gauge", "Resident memory of eird.");
	put(o, "eir_process_resident_memory_bytes %ld\n", s->rss);
	prom_head(o, "eir_process_open_fds", "gauge", "Open file descriptors of eird.");
	put(o, "eir_process_open_fds %d\n", s->fds);
	prom_head(o, "eir_db_up", "gauge", "1 when the database is open.");
	put(o, "eir_db_up %d\n", s->db_open);
	if (s->db_open) {
		prom_head(o, "eir_snapshot_seq", "gauge", "Sequence number of the snapshot in service.");
		put(o, "eir_snapshot_seq %llu\n", (unsigned long long)s->meta.seq);
		prom_head(o, "eir_snapshot_age_seconds", "gauge", "Seconds since the snapshot in service was created.");
		put(o, "eir_snapshot_age_seconds %lld\n",
		    s->meta.created ? (long long)(s->now - (time_t)s->meta.created) : -1LL);
		prom_head(o, "eir_imeis", "gauge", "IMEI records per registry status.");
		for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
			put(o, "eir_imeis{status=\"%s\"} %llu\n", eir_status_name(st), (unsigned long long)s->meta.count[st]);
		prom_head(o, "eir_ranges", "gauge", "Range and TAC rules.");
		put(o, "eir_ranges %llu\n", (unsigned long long)s->meta.ranges);
		prom_head(o, "eir_db_reopens_total", "counter", "New database generations picked up.");
		put(o, "eir_db_reopens_total %llu\n", (unsigned long long)s->reopens);
	}
	if (s->sync_result[0]) {
		prom_head(o, "eir_sync_last_result", "gauge", "Result of eir-sync's last attempt (1 for the label that applies).");
		put(o, "eir_sync_last_result{result=\"");
		for (const char *p = s->sync_result; *p; p++)	/* a label value: \\ and \" escaped */
			put(o, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
		put(o, "\"} 1\n");
	}
	prom_head(o, "eir_policy_branch_total", "counter", "Verdicts per policy branch.");
	for (int b = 0; s->branches && b < EIR_BRANCH_COUNT; b++)
		put(o, "eir_policy_branch_total{branch=\"%s\"} %llu\n", eir_branch_name(b),
		    (unsigned long long)ctr(s->branches, (unsigned)b));
	if (s->diam)
		prom_counters(o, s->diam);
	prom_head(o, "eir_diameter_peers", "gauge", "Diameter peers in the open state.");
	put(o, "eir_diameter_peers %u\n", s->n_open);
	prom_hist(o, "eir_s13_latency_seconds", "S13 answer latency inside eird, read to answer.", &s->lat);
	if (s->map) {
		prom_counters(o, s->map);
		prom_head(o, "eir_map_asp_up", "gauge", "1 when the ASP towards the STP is active.");
		put(o, "eir_map_asp_up %d\n", s->map_asp_state && !strcmp(s->map_asp_state, "active"));
		prom_hist(o, "eir_map_latency_seconds", "MAP answer latency inside eird, SCCP indication to answer sent.",
			  &s->map_lat);
	}
}

static void json_str(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			put(o, "\\u%04x", (unsigned char)*s);
		else
			put(o, "%c", *s);
	}
	put(o, "\"");
}

static void json_hist(struct out *o, const struct eir_hist *h)
{
	put(o, "{\"count\":%llu,\"sum_ns\":%llu", (unsigned long long)h->count, (unsigned long long)h->sum_ns);
	for (unsigned i = 0; i < 4; i++)
		put(o, ",\"%s_us\":%.1f", pct_names[i], eir_hist_percentile(h, pcts[i]));
	put(o, ",\"buckets\":[");
	for (unsigned i = 0; i < EIR_HIST_BUCKETS; i++) {
		if (i < EIR_HIST_BUCKETS - 1)
			put(o, "%s{\"le_us\":%u,\"count\":%llu}", i ? "," : "", eir_hist_bound_us(i),
			    (unsigned long long)h->bucket[i]);
		else
			put(o, ",{\"le_us\":null,\"count\":%llu}", (unsigned long long)h->bucket[i]);
	}
	put(o, "]}");
}

static void fmt_json(struct out *o, const struct snap *s)
{
	char name[64];

	put(o, "{\"server\":{\"version\":\"%s\",\"uptime_seconds\":%ld,\"pid\":%d,\"rss_bytes\":%ld,\"open_fds\":%d},",
	    EIR_VERSION, (long)(s->now - S.started), (int)getpid(), s->rss, s->fds);
	put(o, "\"data\":{\"db_path\":");
	json_str(o, g_eird->db_path);
	put(o, ",\"db_state\":\"%s\"", s->db_open ? "open" : "unavailable");
	if (s->db_open) {
		put(o, ",\"snapshot_seq\":%llu,\"snapshot_kind\":", (unsigned long long)s->meta.seq);
		json_str(o, s->meta.kind);
		put(o, ",\"snapshot_source\":");
		json_str(o, s->meta.source);
		put(o, ",\"snapshot_created\":%llu,\"snapshot_imported\":%llu,\"snapshot_age_seconds\":%lld,\"imeis\":{",
		    (unsigned long long)s->meta.created, (unsigned long long)s->meta.imported,
		    s->meta.created ? (long long)(s->now - (time_t)s->meta.created) : -1LL);
		for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
			put(o, "%s\"%s\":%llu", st > EIR_STATUS_ACTIVE ? "," : "", eir_status_name(st),
			    (unsigned long long)s->meta.count[st]);
		put(o, "},\"ranges\":%llu,\"paired_imeis\":%llu,\"reopen_count\":%llu", (unsigned long long)s->meta.ranges,
		    (unsigned long long)s->meta.paired_imeis, (unsigned long long)s->reopens);
	}
	put(o, ",\"sync_last_attempt\":");
	json_str(o, s->sync_attempt);
	put(o, ",\"sync_last_result\":");
	json_str(o, s->sync_result);
	put(o, ",\"sync_last_success\":");
	json_str(o, s->sync_success);
	put(o, ",\"sync_last_message\":");
	json_str(o, s->sync_message);
	put(o, "},\"s13\":{");
	for (unsigned i = 0; s->diam && i < s->diam->desc->num_ctr; i++)
		put(o, "\"%s\":%llu,", plain(ctr_name(s->diam, i), name, sizeof(name)), (unsigned long long)ctr(s->diam, i));
	put(o, "\"peers_connected\":%u,\"peers\":[", s->n_open);
	for (unsigned i = 0; i < s->n_peers; i++) {
		put(o, "%s{\"host\":", i ? "," : "");
		json_str(o, s->peers[i].host);
		put(o, ",\"address\":");
		json_str(o, s->peers[i].addr);
		put(o, ",\"state\":\"%s\"}", s->peers[i].state);
	}
	put(o, "],\"latency\":");
	json_hist(o, &s->lat);
	put(o, "}");
	if (s->map) {
		put(o, ",\"map\":{");
		for (unsigned i = 0; i < s->map->desc->num_ctr; i++)
			put(o, "\"%s\":%llu,", plain(ctr_name(s->map, i), name, sizeof(name)), (unsigned long long)ctr(s->map, i));
		put(o, "\"asp\":");
		json_str(o, s->map_asp ? s->map_asp : "");
		put(o, ",\"asp_state\":");
		json_str(o, s->map_asp_state ? s->map_asp_state : "");
		put(o, ",\"latency\":");
		json_hist(o, &s->map_lat);
		put(o, "}");
	}
	put(o, ",\"policy\":{");
	for (int b = 0; s->branches && b < EIR_BRANCH_COUNT; b++)
		put(o, "%s\"%s\":%llu", b ? "," : "", eir_branch_name(b), (unsigned long long)ctr(s->branches, (unsigned)b));
	put(o, "}}\n");
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
	struct out o = { 0 };
	struct snap s;
	int rc;

	switch (cmd) {
	case STATS_CMD_STATS:
	case STATS_CMD_PROMETHEUS:
	case STATS_CMD_JSON:
		take_snapshot(&s);
		if (cmd == STATS_CMD_STATS)
			fmt_stats(&o, &s);
		else if (cmd == STATS_CMD_PROMETHEUS)
			fmt_prometheus(&o, &s);
		else
			fmt_json(&o, &s);
		break;
	case STATS_CMD_RESET:
		if (g_eird->branches)
			rate_ctr_group_reset(g_eird->branches);
		if (diameter_counters())
			rate_ctr_group_reset(diameter_counters());
		eir_hist_reset(diameter_latency());
#ifdef HAVE_MAP
		if (map_counters())
			rate_ctr_group_reset(map_counters());
		if (map_latency())
			eir_hist_reset(map_latency());
#endif
		LOGP(DMAIN, LOGL_NOTICE, "stats socket: counters reset\n");
		put(&o, "ok: counters reset\n");
		break;
	case STATS_CMD_HELP:
		put(&o, "commands, one per line: stats (key:value), prometheus (text format 0.0.4), json, "
			"reset (counters only), help\n");
		break;
	case STATS_CMD_TOO_LONG:
		put(&o, "error: line too long (at most %d bytes)\n", STATS_MAX_LINE - 1);
		break;
	case STATS_CMD_UNKNOWN:
		put(&o, "error: unknown command '%s' (try help)\n", osmo_escape_str(line, -1));
		break;
	}
	put(&o, "\n");
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
	S.items = osmo_stat_item_group_alloc(g_eird->ctx, &item_group_desc, 0);
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
