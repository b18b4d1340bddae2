/* The NOC's view as one list of metrics (metrics.h), and its three
 * formats: `stats` (sectioned key:value, Redis INFO style, a list as
 * indexed keys), `prometheus` (text exposition 0.0.4) and `json`. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>

#include "eird.h"
#include "hist.h"
#include "metrics.h"
#include "store.h"
#include "timefmt.h"

static const double pcts[] = { 0.5, 0.9, 0.99, 0.999 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p999" };

/* ------------------------------------------------------------ output */

void out_put(struct out *o, const char *fmt, ...)
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
		char *np = talloc_realloc_size(o->ctx, o->p, cap);
		if (!np)
			return;
		o->p = np, o->cap = cap;
	}
}

/* ------------------------------------------------------------ the list */

/* Text that reaches the NOC's view comes from peers, snapshot files and
 * eir-sync's messages: no control character in it may start a line or
 * move a cursor (C0, DEL, and the 8-bit C1 such as CSI 0x9b), and the JSON
 * must stay valid UTF-8: all of these and every other byte outside ASCII
 * become '?'. */
static const char *clean(void *ctx, const char *src)
{
	char *dst = talloc_strdup(ctx, src ? src : "");

	for (char *p = dst; p && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return dst ? dst : "";
}

static struct metric *add(struct metrics *l, const char *section, const char *key, const char *prom,
			  const char *help, enum metric_type type)
{
	struct metric *m;

	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 128;
		struct metric *nm = talloc_realloc(l->ctx, l->m, struct metric, cap);
		if (!nm)
			return NULL;
		l->m = nm, l->cap = cap;
	}
	m = &l->m[l->n++];
	*m = (struct metric){ .section = section, .key = key, .prom = prom, .help = help, .type = type };
	return m;
}

static void add_int(struct metrics *l, const char *section, const char *key, const char *prom,
		    const char *help, enum metric_type type, int64_t v)
{
	struct metric *m = add(l, section, key, prom, help, type);

	if (m)
		m->v.i = v;
}

static struct metric *add_text(struct metrics *l, const char *section, const char *key, const char *prom,
			       const char *label, const char *help, const char *v)
{
	struct metric *m = add(l, section, key, prom, help, MT_TEXT);

	if (m) {
		m->v.s = clean(l->ctx, v);
		m->label = label;
		m->label_value = m->v.s;
	}
	return m;
}

/* "s13:tx:whitelisted" -> "s13_tx_whitelisted" */
static const char *plain(void *ctx, const char *prefix, const char *name, const char *suffix)
{
	char *s = talloc_asprintf(ctx, "%s%s%s", prefix, name, suffix);

	for (char *p = s + strlen(prefix); p && *p && p < s + strlen(prefix) + strlen(name); p++)
		if (!isalnum((unsigned char)*p))
			*p = '_';
	return s;
}

static void add_counters(struct metrics *l, const char *section, struct rate_ctr_group *g)
{
	for (unsigned i = 0; i < g->desc->num_ctr; i++) {
		const struct rate_ctr_desc *d = &g->desc->ctr_desc[i];

		add_int(l, section, plain(l->ctx, "", d->name, ""), plain(l->ctx, "eir_", d->name, "_total"),
			d->description, MT_COUNTER, (int64_t)rate_ctr_group_get_ctr(g, i)->current);
	}
}

static void add_server(struct metrics *l, uint64_t uptime_s)
{
	long rss = 0;
	int fds = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	DIR *d;

	if (f) {
		long size, pages;
		if (fscanf(f, "%ld %ld", &size, &pages) == 2)
			rss = pages * sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			fds += de->d_name[0] != '.';
		closedir(d);
		fds--;	/* the directory itself */
	}
	add_text(l, "server", "version", "eir_info", "version", "Version of eird.", EIR_VERSION);
	add_int(l, "server", "uptime_seconds", "eir_uptime_seconds", "Seconds since eird started.", MT_GAUGE,
		(int64_t)uptime_s);
	add_int(l, "server", "pid", NULL, "Process id of eird.", MT_GAUGE, getpid());
	add_int(l, "server", "rss_bytes", "eir_process_resident_memory_bytes", "Resident memory of eird.",
		MT_GAUGE, rss);
	add_int(l, "server", "open_fds", "eir_process_open_fds", "Open file descriptors of eird.", MT_GAUGE, fds);
}

/* eir-sync's last attempt, as eir-sync records it beside the database:
 * one "field: value" line per field. */
static void add_sync_status(struct metrics *l)
{
	static const struct {
		const char *field, *key, *prom, *label, *help;
	} fields[] = {
		{ "last-attempt", "sync_last_attempt", NULL, NULL, "Time of eir-sync's last attempt." },
		{ "last-result", "sync_last_result", "eir_sync_last_result", "result",
		  "Result of eir-sync's last attempt (1 for the label that applies)." },
		{ "last-success", "sync_last_success", NULL, NULL, "Time of eir-sync's last success." },
		{ "last-message", "sync_last_message", NULL, NULL, "Message of eir-sync's last attempt." },
	};
	char values[4][256] = { "", "", "", "" };
	char path[4096], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sync-status", g_eird->cfg.db_path);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');
		if (!v)
			continue;
		*v++ = '\0';
		v += strspn(v, " ");
		v[strcspn(v, "\n")] = '\0';
		for (unsigned i = 0; i < 4; i++)
			if (!strcmp(line, fields[i].field))
				snprintf(values[i], sizeof(values[i]), "%s", v);
	}
	if (f)
		fclose(f);
	for (unsigned i = 0; i < 4; i++)
		add_text(l, "data", fields[i].key, values[i][0] ? fields[i].prom : NULL, fields[i].label,
			 fields[i].help, values[i]);
}

static void add_data(struct metrics *l)
{
	struct eir_meta m;
	uint64_t reopens = 0, total = 0;
	time_t now = time(NULL);
	bool open = eird_meta(&m, &reopens);

	add_text(l, "data", "db_path", NULL, NULL, "Database directory.", g_eird->cfg.db_path);
	add_text(l, "data", "db_state", NULL, NULL, "open, or unavailable (answers follow policy failure).",
		 open ? "open" : "unavailable");
	add_int(l, "data", "db_up", "eir_db_up", "1 when the database is open.", MT_GAUGE, open);
	if (open) {
		add_int(l, "data", "snapshot_seq", "eir_snapshot_seq", "Sequence number of the snapshot in service.",
			MT_GAUGE, (int64_t)m.seq);
		add_text(l, "data", "snapshot_kind", "eir_snapshot_kind", "kind",
			 "Kind of the snapshot in service (full, delta).", m.kind);
		add_text(l, "data", "snapshot_source", "eir_snapshot_source", "source",
			 "Source named by the snapshot in service.", m.source);
		add_int(l, "data", "snapshot_created", "eir_snapshot_created_timestamp_seconds",
			"When the snapshot in service was created.", MT_TIME, (int64_t)m.created);
		add_int(l, "data", "snapshot_imported", "eir_snapshot_imported_timestamp_seconds",
			"When the snapshot in service was imported.", MT_TIME, (int64_t)m.imported);
		add_int(l, "data", "snapshot_age_seconds", "eir_snapshot_age_seconds",
			"Seconds since the snapshot in service was created.", MT_GAUGE,
			m.created ? (int64_t)(now - (time_t)m.created) : -1);
		for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++)
			total += m.count[st];
		add_int(l, "data", "imeis", NULL, "IMEI records.", MT_GAUGE, (int64_t)total);
		for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
			struct metric *e = add(l, "data", talloc_asprintf(l->ctx, "imeis_%s", eir_status_name(st)),
					       "eir_imeis", "IMEI records per registry status.", MT_GAUGE);
			if (e) {
				e->v.i = (int64_t)m.count[st];
				e->label = "status", e->label_value = eir_status_name(st);
				e->json = eir_status_name(st);	/* inside "imeis" */
			}
		}
		add_int(l, "data", "ranges", "eir_ranges", "Range and TAC rules.", MT_GAUGE, (int64_t)m.ranges);
		add_int(l, "data", "paired_imeis", "eir_paired_imeis", "IMEIs with paired IMSIs.", MT_GAUGE,
			(int64_t)m.paired_imeis);
		add_int(l, "data", "reopen_count", "eir_db_reopens_total", "New database generations picked up.",
			MT_COUNTER, (int64_t)reopens);
	}
	add_sync_status(l);
}

struct peer_walk {
	struct metrics *l;
	const struct eird_frontend *fe;
	unsigned up;
};

static void add_peer(void *ctx, const struct eird_peer *p)
{
	struct peer_walk *w = ctx;
	struct metric *m = add(w->l, w->fe->name, "peer", "eir_peer_up",
			       "One series per peer of a front end: 1 when it is up.", MT_PEER);

	w->up += p->up;
	if (!m)
		return;
	m->v.p = (struct eird_peer){
		.host = clean(w->l->ctx, p->host), .addr = clean(w->l->ctx, p->addr),
		.state = clean(w->l->ctx, p->state), .up = p->up,
	};
	m->label_value = w->fe->name;
}

static void add_frontend(struct metrics *l, const struct eird_frontend *fe)
{
	struct rate_ctr_group *g = fe->counters();
	struct peer_walk w = { .l = l, .fe = fe };
	struct metric *m, *peers;
	unsigned first;

	if (!g)
		return;
	add_counters(l, fe->name, g);
	peers = add(l, fe->name, fe->peers_key, fe->peers_prom, fe->peers_help, MT_GAUGE);
	if (!peers)
		return;
	first = l->n;
	fe->foreach_peer(add_peer, &w);
	/* add() may have moved the list */
	peers = &l->m[first - 1];
	peers->v.i = w.up;
	if (fe->latency() && (m = add(l, fe->name, fe->latency_key, fe->latency_prom, fe->latency_help, MT_HIST))) {
		m->v.h = fe->latency();
		m->json = fe->latency_json;
	}
}

static void add_policy(struct metrics *l)
{
	for (int b = 0; b < EIR_BRANCH_COUNT; b++) {
		struct metric *m = add(l, "policy", eir_branch_name(b), "eir_policy_branch_total",
				       "Verdicts per policy branch.", MT_COUNTER);
		if (m) {
			m->v.i = (int64_t)rate_ctr_group_get_ctr(g_eird->branches, (unsigned)b)->current;
			m->label = "branch", m->label_value = eir_branch_name(b);
		}
	}
}

/* The sent and the decided verdict mix, the grace period, and what monitor
 * mode sent WHITELISTED instead, per branch (docs/stats.md). */
static void add_verdicts(struct metrics *l)
{
	struct rate_ctr_group *g = g_eird->verdicts;
	unsigned i = 0;

	for (int v = 0; v < EIR_VERDICT_COUNT; v++, i++) {
		struct metric *m = add(l, "verdicts", talloc_asprintf(l->ctx, "sent_%s", eir_verdict_name(v)),
				       "eir_verdicts_sent_total", "Answers sent per verdict, every interface.", MT_COUNTER);
		if (m) {
			m->v.i = (int64_t)rate_ctr_group_get_ctr(g, i)->current;
			m->label = "verdict", m->label_value = eir_verdict_name(v);
		}
	}
	for (int v = 0; v < EIR_VERDICT_COUNT; v++, i++) {
		struct metric *m = add(l, "verdicts", talloc_asprintf(l->ctx, "decided_%s", eir_verdict_name(v)),
				       "eir_verdicts_decided_total",
				       "Verdicts the policy decided (what enforce mode sends), every interface.", MT_COUNTER);
		if (m) {
			m->v.i = (int64_t)rate_ctr_group_get_ctr(g, i)->current;
			m->label = "verdict", m->label_value = eir_verdict_name(v);
		}
	}
	for (int f = 0; f < EIRD_IF_COUNT; f++) {
		struct metric *m = add(l, "verdicts", talloc_asprintf(l->ctx, "mode_%s", eird_iface_name(f)),
				       talloc_asprintf(l->ctx, "eir_%s_policy_mode", eird_iface_name(f)),
				       "Policy mode of the interface (1 for the label that applies).",
				       MT_TEXT);
		if (m) {
			m->v.s = eir_mode_name(g_eird->policy[f].mode);
			m->label = "mode", m->label_value = m->v.s;
		}
	}
	/* grace:in-grace, grace:expired, grace:first-sightings */
	for (unsigned k = 0; k < 3; k++, i++) {
		const struct rate_ctr_desc *d = &g->desc->ctr_desc[i];
		add_int(l, "grace", plain(l->ctx, "", d->name, ""),
			plain(l->ctx, "eir_", d->name, "_total"), d->description, MT_COUNTER,
			(int64_t)rate_ctr_group_get_ctr(g, i)->current);
	}
	for (unsigned w = 0; w < 3; w++) {
		static const char *const keys[3] = { "would_blacklist", "would_greylist", "would_unknown" };
		for (int b = 0; b < EIR_BRANCH_COUNT; b++, i++) {
			struct metric *m = add(l, "monitor", talloc_asprintf(l->ctx, "%s_%s", keys[w], eir_branch_name(b)),
					       talloc_asprintf(l->ctx, "eir_monitor_%s_total", keys[w]),
					       "Answers monitor mode sent WHITELISTED that enforce mode would not, per branch.",
					       MT_COUNTER);
			if (m) {
				m->v.i = (int64_t)rate_ctr_group_get_ctr(g, i)->current;
				m->label = "branch", m->label_value = eir_branch_name(b);
			}
		}
	}
}

/* The observation store (docs/observed.md). */
static void add_observed(struct metrics *l)
{
	struct eird_observe_state st;
	struct rate_ctr_group *g = eird_observe_counters();

	eird_observe_state(&st);
	add_text(l, "observed", "observed_state", NULL, NULL,
		 "open, unavailable (nothing recorded until it opens), or off (no observed-db).",
		 !st.on ? "off" : st.up ? "open" : "unavailable");
	add_int(l, "observed", "observed_up", "eir_observed_up", "1 when the observation store is open.", MT_GAUGE,
		st.on && st.up);
	if (!st.on)
		return;
	add_text(l, "observed", "observed_path", NULL, NULL, "Observation store directory.", st.path);
	if (g)
		add_counters(l, "observed", g);
	add_int(l, "observed", "observed_pending", "eir_observed_pending_pairs",
		"Queries queued and pairs of the current interval, not yet written.", MT_GAUGE, (int64_t)st.pending);
	add_int(l, "observed", "observed_pairs", "eir_observed_pairs", "Pairs in the observation store.", MT_GAUGE,
		(int64_t)st.pairs);
	add_int(l, "observed", "observed_imeis", "eir_observed_imeis", "IMEIs in the observation store.", MT_GAUGE,
		(int64_t)st.imeis);
	add_int(l, "observed", "observed_max_pairs", "eir_observed_max_pairs", "observed-max-pairs (0: none).",
		MT_GAUGE, (int64_t)st.max_pairs);
	add_int(l, "observed", "observed_used_bytes", "eir_observed_used_bytes",
		"Bytes of the store's pages in use.", MT_GAUGE, (int64_t)st.used_bytes);
	add_int(l, "observed", "observed_file_bytes", "eir_observed_file_bytes", "Size of the store's file.",
		MT_GAUGE, (int64_t)st.file_bytes);
	add_int(l, "observed", "observed_map_bytes", "eir_observed_map_bytes", "observed-max-size in bytes.",
		MT_GAUGE, (int64_t)st.map_bytes);
	add_int(l, "observed", "observed_bytes_per_pair", NULL, "Used bytes per stored pair.", MT_GAUGE,
		st.pairs ? (int64_t)(st.used_bytes / st.pairs) : 0);
	add_int(l, "observed", "observed_oldest_seen", NULL, "The least recent last sighting kept.", MT_TIME,
		(int64_t)st.oldest_seen);
	add_int(l, "observed", "observed_near_cap", "eir_observed_near_cap",
		"1 when the store is at 90% of observed-max-pairs or observed-max-size.", MT_GAUGE, st.near_cap);
	add_int(l, "observed", "observed_last_batch_pairs", NULL, "Pairs of the last batch written.", MT_GAUGE,
		(int64_t)st.last_batch_pairs);
	add_int(l, "observed", "observed_last_batch_us", "eir_observed_last_batch_microseconds",
		"Microseconds the last batch took to write (with its expiry step).", MT_GAUGE,
		(int64_t)st.last_batch_us);
	add_int(l, "observed", "observed_max_batch_us", NULL, "The longest batch write since start, microseconds.",
		MT_GAUGE, (int64_t)st.max_batch_us);
}

struct metrics *metrics_collect(void *ctx, uint64_t uptime_s)
{
	void *tmp = talloc_named_const(ctx, 0, "metrics");
	struct metrics *l = talloc_zero(tmp, struct metrics);
	const struct eird_frontend *const *fe;

	l->ctx = tmp;
	add_server(l, uptime_s);
	add_data(l);
	for (fe = eird_frontends; *fe; fe++)
		add_frontend(l, *fe);
	add_policy(l);
	add_verdicts(l);
	add_observed(l);
	return l;
}

void metrics_reset(void)
{
	const struct eird_frontend *const *fe;

	rate_ctr_group_reset(g_eird->branches);
	rate_ctr_group_reset(g_eird->verdicts);
	if (eird_observe_counters())
		rate_ctr_group_reset(eird_observe_counters());
	for (fe = eird_frontends; *fe; fe++) {
		if ((*fe)->counters())
			rate_ctr_group_reset((*fe)->counters());
		if ((*fe)->latency())
			eir_hist_reset((*fe)->latency());
	}
}

/* ------------------------------------------------------------ stats */

static void text_value(struct out *o, const struct metric *m)
{
	char when[32];

	switch (m->type) {
	case MT_TEXT:
		out_put(o, "%s", m->v.s[0] ? m->v.s : "-");
		break;
	case MT_TIME:
		out_put(o, "%s", m->v.i ? eir_time_format((uint64_t)m->v.i, when, sizeof(when)) : "-");
		break;
	default:
		out_put(o, "%lld", (long long)m->v.i);
		break;
	}
}

void metrics_fmt_stats(struct out *o, const struct metrics *l)
{
	const char *section = NULL;
	unsigned peer = 0;

	for (unsigned i = 0; i < l->n; i++) {
		const struct metric *m = &l->m[i];

		if (!section || strcmp(section, m->section)) {
			section = m->section, peer = 0;
			out_put(o, "# %s\n", section);
		}
		if (m->type == MT_PEER) {
			out_put(o, "peer%u:host=%s,addr=%s,state=%s\n", peer++, m->v.p.host, m->v.p.addr, m->v.p.state);
		} else if (m->type == MT_HIST) {
			out_put(o, "%s_count:%llu\n", m->key, (unsigned long long)m->v.h->count);
			for (unsigned p = 0; p < 4; p++)
				out_put(o, "%s_%s_us:%.1f\n", m->key, pct_names[p], eir_hist_percentile(m->v.h, pcts[p]));
		} else {
			out_put(o, "%s:", m->key);
			text_value(o, m);
			out_put(o, "\n");
		}
	}
}

/* ------------------------------------------------------------ prometheus */

static const char *prom_type(enum metric_type t)
{
	return t == MT_COUNTER ? "counter" : t == MT_HIST ? "histogram" : "gauge";
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(struct out *o, const char *name, const char *v, bool first)
{
	out_put(o, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++)
		out_put(o, *v == '"' || *v == '\\' ? "\\%c" : *v == '\n' ? "\\n" : "%c", *v == '\n' ? 'n' : *v);
	out_put(o, "\"");
}

static void prom_hist(struct out *o, const char *name, const struct eir_hist *h)
{
	uint64_t acc = 0;

	for (unsigned i = 0; i < EIR_HIST_BUCKETS - 1; i++) {
		acc += h->bucket[i];
		out_put(o, "%s_bucket{le=\"%g\"} %llu\n", name, eir_hist_bound_us(i) / 1e6, (unsigned long long)acc);
	}
	out_put(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
	out_put(o, "%s_sum %.9f\n", name, (double)h->sum_ns / 1e9);
	out_put(o, "%s_count %llu\n", name, (unsigned long long)h->count);
}

static void prom_sample(struct out *o, const struct metric *m)
{
	switch (m->type) {
	case MT_HIST:
		prom_hist(o, m->prom, m->v.h);
		return;
	case MT_PEER:
		out_put(o, "%s{", m->prom);
		prom_label(o, "frontend", m->label_value, true);
		prom_label(o, "host", m->v.p.host, false);
		prom_label(o, "addr", m->v.p.addr, false);
		prom_label(o, "state", m->v.p.state, false);
		out_put(o, "} %d\n", m->v.p.up);
		return;
	default:
		break;
	}
	out_put(o, "%s", m->prom);
	if (m->label) {
		out_put(o, "{");
		prom_label(o, m->label, m->label_value, true);
		out_put(o, "}");
	}
	out_put(o, " %lld\n", m->type == MT_TEXT ? 1LL : (long long)m->v.i);
}

/* Every family once, its samples together, HELP and TYPE first. */
void metrics_fmt_prometheus(struct out *o, const struct metrics *l)
{
	bool *done = talloc_zero_array(l->ctx, bool, l->n ? l->n : 1);

	for (unsigned i = 0; done && i < l->n; i++) {
		const struct metric *m = &l->m[i];

		if (done[i] || !m->prom)
			continue;
		out_put(o, "# HELP %s %s\n# TYPE %s %s\n", m->prom, m->help, m->prom, prom_type(m->type));
		for (unsigned j = i; j < l->n; j++) {
			if (!done[j] && l->m[j].prom && !strcmp(l->m[j].prom, m->prom)) {
				prom_sample(o, &l->m[j]);
				done[j] = true;
			}
		}
	}
	talloc_free(done);
}

/* ------------------------------------------------------------ json */

static void json_str(struct out *o, const char *s)
{
	out_put(o, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			out_put(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			out_put(o, "\\u%04x", (unsigned char)*s);
		else
			out_put(o, "%c", *s);
	}
	out_put(o, "\"");
}

static void json_hist(struct out *o, const struct eir_hist *h)
{
	out_put(o, "{\"count\":%llu,\"sum_ns\":%llu", (unsigned long long)h->count, (unsigned long long)h->sum_ns);
	for (unsigned i = 0; i < 4; i++)
		out_put(o, ",\"%s_us\":%.1f", pct_names[i], eir_hist_percentile(h, pcts[i]));
	out_put(o, ",\"buckets\":[");
	for (unsigned i = 0; i < EIR_HIST_BUCKETS; i++) {
		if (i < EIR_HIST_BUCKETS - 1)
			out_put(o, "%s{\"le_us\":%u,\"count\":%llu}", i ? "," : "", eir_hist_bound_us(i),
				(unsigned long long)h->bucket[i]);
		else
			out_put(o, ",{\"le_us\":null,\"count\":%llu}", (unsigned long long)h->bucket[i]);
	}
	out_put(o, "]}");
}

/* One object per section; the peers of a section as the array "peers",
 * the IMEI counts per status as the object "imeis". */
void metrics_fmt_json(struct out *o, const struct metrics *l)
{
	const char *section = NULL;
	bool first = true;

	out_put(o, "{");
	for (unsigned i = 0; i < l->n; i++) {
		const struct metric *m = &l->m[i];
		const struct metric *prev = i ? &l->m[i - 1] : NULL;
		bool new_section = !section || strcmp(section, m->section);
		bool prev_peer = prev && prev->type == MT_PEER;
		bool prev_imeis = prev && prev->label && !strcmp(prev->label, "status");
		bool is_imeis = m->label && !strcmp(m->label, "status");
		bool in_peers = prev_peer && !new_section;
		bool in_imeis = prev_imeis && !new_section;

		/* A list or object ends with its section or its last element. */
		if (prev_peer && (new_section || m->type != MT_PEER))
			out_put(o, "]");
		if (prev_imeis && (new_section || !is_imeis))
			out_put(o, "}");
		if (new_section) {
			if (section)
				out_put(o, "}");
			out_put(o, "%s\"%s\":{", section ? "," : "", m->section);
			section = m->section, first = true;
		}
		if (m->type == MT_PEER) {
			out_put(o, "%s{\"host\":", in_peers ? "," : first ? "\"peers\":[" : ",\"peers\":[");
			json_str(o, m->v.p.host);
			out_put(o, ",\"addr\":");
			json_str(o, m->v.p.addr);
			out_put(o, ",\"state\":");
			json_str(o, m->v.p.state);
			out_put(o, "}");
		} else if (is_imeis) {
			if (!in_imeis)
				out_put(o, "%s\"imeis\":{", first ? "" : ",");
			else
				out_put(o, ",");
			out_put(o, "\"%s\":%lld", m->json, (long long)m->v.i);
		} else {
			out_put(o, "%s\"%s\":", first ? "" : ",", m->json ? m->json : m->key);
			if (m->type == MT_TEXT)
				json_str(o, m->v.s);
			else if (m->type == MT_HIST)
				json_hist(o, m->v.h);
			else
				out_put(o, "%lld", (long long)m->v.i);
		}
		first = false;
	}
	if (l->n && l->m[l->n - 1].type == MT_PEER)
		out_put(o, "]");
	if (l->n && l->m[l->n - 1].label && !strcmp(l->m[l->n - 1].label, "status"))
		out_put(o, "}");
	out_put(o, "%s}\n", section ? "}" : "");
}
