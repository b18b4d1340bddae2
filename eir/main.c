/* eird: the Equipment Identity Register daemon. Answers CheckIMEI from the
 * core network (Diameter S13/S13', MAP over SCCP) out of the database
 * eir-sync keeps. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include "config.h"
#ifdef HAVE_MAP
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_sap.h>
#include "map.h"
#endif
#include "eird.h"
#include "server.h"
#include "socket.h"
#include "store.h"

#define DEFAULT_CONFIG "/etc/eir/eird.cfg"
#define DEFAULT_DB "/var/lib/eir"
#define DEFAULT_STATS_SOCKET "/run/eir/eird.sock"
#define VTY_PORT 4280

struct eird *g_eird;

static const struct log_info_cat eird_log_cats[] = {
	[DMAIN] = { .name = "DMAIN", .description = "Main program", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DDB] = { .name = "DDB", .description = "Database access", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DPOLICY] = { .name = "DPOLICY", .description = "Policy", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DDIAM] = { .name = "DDIAM", .description = "Diameter S13", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DMAP] = { .name = "DMAP", .description = "MAP CheckIMEI (TCAP over SCCP)", .enabled = 1, .loglevel = LOGL_NOTICE },
};

static const struct log_info eird_log_info = {
	.cat = eird_log_cats,
	.num_cat = ARRAY_SIZE(eird_log_cats),
};

static struct vty_app_info vty_info = {
	.name = "eird",
	.version = EIR_VERSION,
	.copyright = "eird - Equipment Identity Register\r\n",
	.go_parent_cb = eird_vty_go_parent,
};

static volatile sig_atomic_t quit, reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: eird [-c FILE] [-D] [--version]\n"
		"Equipment Identity Register daemon: answers CheckIMEI over Diameter S13\n"
		"and MAP (TCAP over SCCP).\n\n"
		"  -c, --config-file FILE  configuration (default " DEFAULT_CONFIG ")\n"
		"  -D, --daemonize         fork into the background\n"
		"  -V, --version           print the version\n"
		"  -h, --help              this text\n\n"
		"Signals: SIGHUP reloads the policy from the configuration file; SIGINT and\n"
		"SIGTERM stop. The database is picked up after every eir-sync commit.\n");
}

static int handle_options(int argc, char **argv, bool *daemonize)
{
	static const struct option longopts[] = {
		{ "config-file", required_argument, NULL, 'c' },
		{ "daemonize", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:DVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': g_eird->config_file = optarg; break;
		case 'D': *daemonize = true; break;
		case 'V': printf("eird %s\n", EIR_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	return 0;
}

/* The configuration file as the VTY reads it, one line per read, so that
 * an error can name its line. */
struct cfg_reader {
	FILE *f;
	unsigned lineno;
	char line[512];
	size_t len;
	bool at_start;
};

static ssize_t cfg_read(void *cookie, char *buf, size_t size)
{
	struct cfg_reader *r = cookie;
	size_t n = 0;
	int ch;

	while (n < size && (ch = fgetc(r->f)) != EOF) {
		if (r->at_start) {
			r->lineno++, r->len = 0, r->at_start = false;
		}
		buf[n++] = (char)ch;
		if (ch == '\n') {
			r->at_start = true;
			break;
		}
		if (r->len + 1 < sizeof(r->line))
			r->line[r->len++] = (char)ch, r->line[r->len] = '\0';
	}
	return (ssize_t)n;
}

static int read_config(const char *path)
{
	struct cfg_reader r = { .at_start = true };
	cookie_io_functions_t io = { .read = cfg_read };
	FILE *fp;
	int rc;

	r.f = fopen(path, "r");
	if (!r.f) {
		fprintf(stderr, "eird: cannot read the configuration %s: %s\n", path, strerror(errno));
		return -1;
	}
	fp = fopencookie(&r, "r", io);
	if (!fp) {
		fclose(r.f);
		return -1;
	}
	rc = vty_read_config_filep(fp, NULL);
	fclose(fp);
	fclose(r.f);
	if (rc < 0) {
		const char *s = r.line + strspn(r.line, " \t");
		fprintf(stderr, "eird: %s:%u: '%s' is not valid here: an unknown command for its node, "
			"or a value that is malformed or out of range (the VTY's `?` lists what is allowed)\n",
			path, r.lineno, s);
		return -1;
	}
	host_config_set(path);	/* for `write file` and `show startup-config` */
	return 0;
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 1, "eird");
	bool daemonize = false;
	int rc;

	msgb_talloc_ctx_init(ctx, 0);
	g_eird = talloc_zero(ctx, struct eird);
	g_eird->ctx = ctx;
	g_eird->config_file = DEFAULT_CONFIG;
	g_eird->db_path = talloc_strdup(ctx, DEFAULT_DB);
	g_eird->stats_socket = talloc_strdup(ctx, DEFAULT_STATS_SOCKET);
	eir_policy_defaults(&g_eird->policy);
	g_eird->counting = true;

	osmo_init_logging2(ctx, &eird_log_info);
	osmo_stats_init(ctx);
	rate_ctr_init(ctx);	/* the per-second and per-minute rates */
	eird_counters_init();
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_talloc_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	eird_vty_init();
	diameter_vty_init();
#ifdef HAVE_MAP
	osmo_ss7_init();
	osmo_ss7_vty_init_asp(ctx);
	osmo_sccp_vty_init();
	map_vty_init();
#endif

	handle_options(argc, argv, &daemonize);

	if (read_config(g_eird->config_file) < 0)
		return 1;
	rc = telnet_init_default(ctx, NULL, VTY_PORT);
	if (rc < 0) {
		fprintf(stderr, "eird: cannot open the VTY telnet port\n");
		return 1;
	}
	/* A missing database is not fatal: answers follow `policy failure`
	 * until eir-sync has written one, and the alarm is logged. */
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (diameter_start() < 0)
		return 1;
#ifdef HAVE_MAP
	if (map_start() < 0)
		return 1;
#endif
	if (stats_socket_start(g_eird->stats_socket, g_eird->stats_group) < 0)
		return 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (daemonize && osmo_daemonize() < 0) {
		perror("eird: daemonize");
		return 1;
	}
	LOGP(DMAIN, LOGL_NOTICE, "eird %s running, database %s\n", EIR_VERSION, g_eird->db_path);

	while (!quit) {
		osmo_select_main_ctx(0);
		if (reload) {
			reload = 0;
			eird_reload_policy();
		}
	}
	LOGP(DMAIN, LOGL_NOTICE, "eird stopping\n");
	stats_socket_stop();
	if (g_eird->store)
		eir_store_close(g_eird->store);
	log_fini();
	talloc_free(ctx);
	return 0;
}
