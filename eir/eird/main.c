/* eird: the Equipment Identity Register daemon. Answers CheckIMEI from the
 * core network (Diameter S13/S13', MAP over SCCP) out of the database
 * eir-sync keeps. This file is the recipe: set up, read the
 * configuration, start every front end, loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>

#include "config.h"
#include "eird.h"
#include "stats.h"

#define VTY_PORT 4280

struct eird *g_eird;

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
		"  -c, --config-file FILE  configuration (default " EIR_CONFIG_FILE ")\n"
		"  -D, --daemonize         fork into the background\n"
		"  -V, --version           print the version\n"
		"  -h, --help              this text\n\n"
		"Signals: SIGHUP reloads the policy from the configuration file; SIGINT and\n"
		"SIGTERM stop. The database is picked up after every eir-sync commit.\n");
}

static void handle_options(int argc, char **argv, bool *daemonize)
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
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 1, "eird");
	const struct eird_frontend *const *fe;
	bool daemonize = false;

	msgb_talloc_ctx_init(ctx, 0);
	g_eird = talloc_zero(ctx, struct eird);
	g_eird->ctx = ctx;
	g_eird->config_file = EIR_CONFIG_FILE;
	eird_cfg_defaults(&g_eird->cfg, ctx);

	eird_log_init(ctx);
	osmo_stats_init(ctx);
	rate_ctr_init(ctx);	/* the per-second and per-minute rates */
	eird_counters_init();
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_talloc_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	eird_vty_init();
	for (fe = eird_frontends; *fe; fe++)
		(*fe)->vty_init(ctx);

	handle_options(argc, argv, &daemonize);

	if (eird_config_read(g_eird->config_file) < 0)
		return 1;
	eird_policy_apply();
	if (telnet_init_default(ctx, NULL, VTY_PORT) < 0) {
		fprintf(stderr, "eird: cannot open the VTY telnet port\n");
		return 1;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	/* A missing database is not fatal: answers follow `policy failure`
	 * until eir-sync has written one, and the alarm is logged. */
	eird_health_start();
	for (fe = eird_frontends; *fe; fe++)
		if ((*fe)->start(ctx) < 0)
			return 1;
	if (stats_socket_start(g_eird->cfg.stats_socket, g_eird->cfg.stats_group) < 0)
		return 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (daemonize && osmo_daemonize() < 0) {
		perror("eird: daemonize");
		return 1;
	}
	/* After the fork: the store's LMDB handle and the writer thread
	 * belong to the process that answers. */
	if (eird_observe_start(ctx) < 0)
		return 1;
	LOGP(DMAIN, LOGL_NOTICE, "eird %s running, database %s\n", EIR_VERSION, g_eird->cfg.db_path);

	while (!quit) {
		osmo_select_main_ctx(0);
		/* The answers of one turn share one read transaction: it ends
		 * here at the latest, never held while eird waits. */
		eird_batch_end();
		if (reload) {
			reload = 0;
			eird_config_reload();
		}
	}
	LOGP(DMAIN, LOGL_NOTICE, "eird stopping\n");
	stats_socket_stop();
	for (fe = eird_frontends; *fe; fe++)
		if ((*fe)->stop)
			(*fe)->stop();
	eird_observe_stop();
	eird_health_stop();
	log_fini();
	talloc_free(ctx);
	return 0;
}
