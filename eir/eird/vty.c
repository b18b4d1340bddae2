/* eird's configuration: the `eir` node (database, stats socket) and its
 * `policy` node, the config_write functions that make `write terminal`
 * print them back, and the one reader of eird.cfg: at start it applies the
 * whole file; on SIGHUP it reads the whole file again through the same
 * commands into a scratch copy that starts from the defaults, and swaps the
 * policy (with the front ends' policy overrides) in only when every line is
 * valid. Errors name file:line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "config.h"
#ifdef HAVE_MAP
#include <osmocom/sigtran/osmo_ss7.h>
#endif
#include "eird.h"
#include "policy.h"

static struct cmd_node eir_node = { .node = EIR_NODE, .prompt = "%s(config-eir)# ", .vtysh = 1 };
static struct cmd_node policy_node = { .node = EIR_POLICY_NODE, .prompt = "%s(config-eir-policy)# ", .vtysh = 1 };

static struct cmd_node iface_policy_nodes[EIRD_IF_COUNT] = {
	[EIRD_IF_S13] = { .node = DIAMETER_POLICY_NODE, .prompt = "%s(config-diameter-policy)# ", .vtysh = 1 },
	[EIRD_IF_MAP] = { .node = MAP_POLICY_NODE, .prompt = "%s(config-map-policy)# ", .vtysh = 1 },
	[EIRD_IF_N5G] = { .node = N5G_POLICY_NODE, .prompt = "%s(config-n5g-policy)# ", .vtysh = 1 },
};

static struct eird_cfg *scratch;	/* non-NULL while SIGHUP re-reads */

struct eird_cfg *eird_cfg_target(void)
{
	return scratch ? scratch : &g_eird->cfg;
}

bool eird_cfg_checking(void)
{
	return scratch != NULL;
}

void eird_cfg_defaults(struct eird_cfg *c, void *ctx)
{
	*c = (struct eird_cfg){ .ctx = ctx, .counting = true };
	c->db_path = talloc_strdup(ctx, EIR_DB_DIR);
	c->stats_socket = talloc_strdup(ctx, EIR_STATS_SOCKET);
	eir_policy_defaults(&c->policy);
	for (int i = 0; i < EIRD_IF_COUNT; i++)
		c->iface[i] = (struct eird_iface_policy){ .mode = -1, .unknown_imei = -1 };
	c->observed = (struct eird_observed_cfg){
		.path = talloc_strdup(ctx, EIR_OBSERVED_DIR),
		.retention_days = 400, .max_pairs = 50000000, .max_size_mb = 8192,
		.interval_ms = 1000, .queue = 1000000,
		.notify_spool = talloc_strdup(ctx, EIR_NOTIFY_DIR), .notify_reminder = 7,
	};
}

/* A policy command typed on the telnet VTY is in force at once (at start
 * and on SIGHUP the whole file is applied at its end). */
static int policy_changed(void)
{
	if (!eird_cfg_checking())
		eird_policy_apply();
	return CMD_SUCCESS;
}

DEFUN(cfg_eir, cfg_eir_cmd, "eir", "Configure the Equipment Identity Register\n")
{
	vty->node = EIR_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_database, cfg_eir_database_cmd, "database PATH",
      "Database directory written by eir-sync\n" "Path (default " EIR_DB_DIR ")\n")
{
	struct eird_cfg *c = eird_cfg_target();

	osmo_talloc_replace_string(c->ctx, &c->db_path, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_stats_socket, cfg_eir_stats_socket_cmd, "stats-socket PATH",
      "Unix socket for the NOC: stats, prometheus, json\n" "Path (default " EIR_STATS_SOCKET ")\n")
{
	struct eird_cfg *c = eird_cfg_target();

	osmo_talloc_replace_string(c->ctx, &c->stats_socket, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_no_stats_socket, cfg_eir_no_stats_socket_cmd, "no stats-socket",
      NO_STR "No stats socket\n")
{
	TALLOC_FREE(eird_cfg_target()->stats_socket);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_stats_group, cfg_eir_stats_group_cmd, "stats-socket-group NAME",
      "Group that may use the stats socket (mode 0660)\n" "Group name\n")
{
	struct eird_cfg *c = eird_cfg_target();

	osmo_talloc_replace_string(c->ctx, &c->stats_group, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_counting, cfg_eir_counting_cmd, "counting (on|off)",
      "Count S13 requests, verdicts, policy branches and latency\n"
      "Count (default)\n" "Do not count: only to measure what counting costs\n")
{
	eird_cfg_target()->counting = !strcmp(argv[0], "on");
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_observed_db, cfg_eir_observed_db_cmd, "observed-db PATH",
      "Record every (IMEI, IMSI) pair asked about in a store of eird's own\n"
      "Directory (default " EIR_OBSERVED_DIR "; never the registry database)\n")
{
	struct eird_cfg *c = eird_cfg_target();

	osmo_talloc_replace_string(c->ctx, &c->observed.path, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_no_observed_db, cfg_eir_no_observed_db_cmd, "no observed-db",
      NO_STR "Record nothing (the grace period then counts from imported first sightings only)\n")
{
	TALLOC_FREE(eird_cfg_target()->observed.path);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_observed_retention, cfg_eir_observed_retention_cmd, "observed-retention <1-3650>",
      "Forget pairs not seen for this long\n" "Days (default 400)\n")
{
	eird_cfg_target()->observed.retention_days = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_observed_max_pairs, cfg_eir_observed_max_pairs_cmd, "observed-max-pairs <0-4000000000>",
      "Cap of the observation store: beyond it the least recently seen pairs go first\n"
      "Pairs (default 50000000; 0: only the size cap)\n")
{
	eird_cfg_target()->observed.max_pairs = strtoull(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_observed_max_size, cfg_eir_observed_max_size_cmd, "observed-max-size <16-1048576>",
      "Size cap of the observation store's file (applies at restart)\n" "MiB (default 8192)\n")
{
	eird_cfg_target()->observed.max_size_mb = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_observed_interval, cfg_eir_observed_interval_cmd, "observed-batch-interval <10-60000>",
      "How often the observations of the interval are written (a crash loses at most one)\n"
      "Milliseconds (default 1000)\n")
{
	eird_cfg_target()->observed.interval_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_observed_queue, cfg_eir_observed_queue_cmd, "observed-queue <1000-100000000>",
      "Queries waiting for the writer and distinct pairs per interval; beyond, dropped and counted (applies at restart)\n"
      "Pairs (default 1000000)\n")
{
	eird_cfg_target()->observed.queue = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_notify_spool, cfg_eir_notify_spool_cmd, "notify-spool DIR",
      "Write notification events (grace, reminder, cut-off) for eir-notify's warning SMS into this spool\n"
      "Directory (default " EIR_NOTIFY_DIR "; applies at restart)\n")
{
	struct eird_cfg *c = eird_cfg_target();

	osmo_talloc_replace_string(c->ctx, &c->observed.notify_spool, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_no_notify_spool, cfg_eir_no_notify_spool_cmd, "no notify-spool",
      NO_STR "Write no notification events\n")
{
	TALLOC_FREE(eird_cfg_target()->observed.notify_spool);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_notify_reminder, cfg_eir_notify_reminder_cmd, "notify-reminder <0-365>",
      "Write a reminder event this many days before a grace period ends\n"
      "Days (default 7; 0: no reminders)\n")
{
	eird_cfg_target()->observed.notify_reminder = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_notify_node, cfg_eir_notify_node_cmd, "notify-node NAME",
      "Name this node in its events and spool file names (default: the host name; applies at restart)\n"
      "Letters, digits, '-', '_' and '.'\n")
{
	struct eird_cfg *c = eird_cfg_target();

	for (const char *p = argv[0]; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || (*p == '.' && p != argv[0]))) {
			vty_out(vty, "%% notify-node '%s': letters, digits, '-', '_' and '.' only%s", argv[0],
				VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	if (strlen(argv[0]) > 63) {
		vty_out(vty, "%% notify-node: at most 63 characters%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(c->ctx, &c->observed.notify_node, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_policy, cfg_eir_policy_cmd, "policy", "Configure the outcome of each policy branch\n")
{
	vty->node = EIR_POLICY_NODE;
	return CMD_SUCCESS;
}

#define VERDICTS "(whitelisted|greylisted|blacklisted|unknown)"
#define VERDICTS_HELP \
	"Whitelisted (Equipment-Status 0)\n" "Greylisted (Equipment-Status 2)\n" \
	"Blacklisted (Equipment-Status 1)\n" "Unknown equipment (S13 5422, MAP unknownEquipment, 5G 404)\n"

DEFUN(cfg_policy_outcome, cfg_policy_outcome_cmd,
      "(invalid-imei|unknown-imei|registered|expired|pair-mismatch|failure) " VERDICTS,
      "An identity that is not an IMEI\n" "No record and no range covers the IMEI\n"
      "Registered, not yet activated\n" "Traveller past its validity date\n"
      "Locked to its paired IMSIs, used with another\n" "The database cannot be read\n"
      VERDICTS_HELP)
{
	if (eir_policy_set(&eird_cfg_target()->policy, argv[0], argv[1])) {
		vty_out(vty, "%% cannot set %s to %s%s", argv[0], argv[1], VTY_NEWLINE);
		return CMD_WARNING;
	}
	return policy_changed();
}

#define GRACE_HELP "Greylisted for a grace period from the IMEI's first sighting, then another verdict\n" \
	"Days of the grace period\n"
#define THEN_HELP "The verdict once the grace period is over (default blacklisted)\n" \
	"Blacklisted (Equipment-Status 1)\n" "Greylisted (Equipment-Status 2)\n"

/* "grace DAYS [then V]" from the command's arguments, for eir_policy_set. */
static const char *grace_words(char *buf, size_t sz, int argc, const char **argv, int first)
{
	snprintf(buf, sz, "grace %s%s%s", argv[first], argc > first + 1 ? " then " : "",
		 argc > first + 1 ? argv[first + 1] : "");
	return buf;
}

DEFUN(cfg_policy_grace, cfg_policy_grace_cmd, "(unknown-imei|registered) grace <1-3650>",
      "No record and no range covers the IMEI\n" "Registered, not yet activated\n" GRACE_HELP)
{
	char buf[64];

	if (eir_policy_set(&eird_cfg_target()->policy, argv[0], grace_words(buf, sizeof(buf), argc, argv, 1)))
		return CMD_WARNING;
	return policy_changed();
}

DEFUN(cfg_policy_grace_then, cfg_policy_grace_then_cmd,
      "(unknown-imei|registered) grace <1-3650> then (blacklisted|greylisted)",
      "No record and no range covers the IMEI\n" "Registered, not yet activated\n" GRACE_HELP THEN_HELP)
{
	char buf[64];

	if (eir_policy_set(&eird_cfg_target()->policy, argv[0], grace_words(buf, sizeof(buf), argc, argv, 1)))
		return CMD_WARNING;
	return policy_changed();
}

#define MODE_HELP "Enforce the verdicts, or only watch what they would be\n" \
	"Send the verdicts (default)\n" "Send WHITELISTED; count and record the verdict enforce mode would send\n"

DEFUN(cfg_policy_mode, cfg_policy_mode_cmd, "mode (enforce|monitor)", MODE_HELP)
{
	eir_policy_set(&eird_cfg_target()->policy, "mode", argv[0]);
	return policy_changed();
}

DEFUN(cfg_policy_tz, cfg_policy_tz_cmd, "time-zone ZONE",
      "The time zone grace periods count days in\n"
      "UTC (default) or a fixed offset: UTC+03:30, UTC-05:00\n")
{
	if (eir_policy_set(&eird_cfg_target()->policy, "time-zone", argv[0])) {
		vty_out(vty, "%% not a time zone: %s (UTC, or UTC+HH:MM / UTC-HH:MM up to 14:00)%s", argv[0],
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return policy_changed();
}

/* ------------------------------------------------ per-interface policy */

static int iface_of(int node)
{
	for (int i = 0; i < EIRD_IF_COUNT; i++)
		if ((int)iface_policy_nodes[i].node == node)
			return i;
	return -1;
}

DEFUN(cfg_ifp_enter, cfg_ifp_enter_cmd, "policy",
      "Policy overrides for the answers of this interface\n")
{
	static const int parents[EIRD_IF_COUNT] = {
		[EIRD_IF_S13] = DIAMETER_NODE, [EIRD_IF_MAP] = MAP_NODE, [EIRD_IF_N5G] = N5G_NODE };

	for (int i = 0; i < EIRD_IF_COUNT; i++) {
		if (parents[i] == (int)vty->node) {
			vty->node = iface_policy_nodes[i].node;
			return CMD_SUCCESS;
		}
	}
	return CMD_WARNING;
}

static struct eird_iface_policy *ifp(struct vty *vty)
{
	int i = iface_of(vty->node);

	return i < 0 ? NULL : &eird_cfg_target()->iface[i];
}

DEFUN(cfg_ifp_mode, cfg_ifp_mode_cmd, "mode (enforce|monitor)",
      "Enforce or monitor on this interface (overrides the eir policy's mode)\n"
      "Send the verdicts\n" "Send WHITELISTED; count and record the verdict enforce mode would send\n")
{
	struct eird_iface_policy *p = ifp(vty);

	if (!p)
		return CMD_WARNING;
	p->mode = !strcmp(argv[0], "monitor") ? EIR_MODE_MONITOR : EIR_MODE_ENFORCE;
	return policy_changed();
}

DEFUN(cfg_ifp_no_mode, cfg_ifp_no_mode_cmd, "no mode",
      NO_STR "Use the eir policy's mode on this interface\n")
{
	struct eird_iface_policy *p = ifp(vty);

	if (!p)
		return CMD_WARNING;
	p->mode = -1;
	return policy_changed();
}

DEFUN(cfg_ifp_unknown, cfg_ifp_unknown_cmd, "unknown-imei " VERDICTS,
      "No record and no range covers the IMEI (overrides the eir policy on this interface)\n" VERDICTS_HELP)
{
	struct eird_iface_policy *p = ifp(vty);

	if (!p)
		return CMD_WARNING;
	p->unknown_imei = eir_verdict_from_name(argv[0]);
	p->unknown_grace.days = 0;
	return policy_changed();
}

static int ifp_grace(struct vty *vty, int argc, const char **argv)
{
	struct eird_iface_policy *p = ifp(vty);
	struct eir_policy tmp;
	char buf[64];

	if (!p)
		return CMD_WARNING;
	eir_policy_defaults(&tmp);
	if (eir_policy_set(&tmp, "unknown-imei", grace_words(buf, sizeof(buf), argc, argv, 0)))
		return CMD_WARNING;
	p->unknown_imei = tmp.unknown_imei;
	p->unknown_grace = tmp.unknown_grace;
	return policy_changed();
}

DEFUN(cfg_ifp_unknown_grace, cfg_ifp_unknown_grace_cmd, "unknown-imei grace <1-3650>",
      "No record and no range covers the IMEI (overrides the eir policy on this interface)\n" GRACE_HELP)
{
	return ifp_grace(vty, argc, argv);
}

DEFUN(cfg_ifp_unknown_grace_then, cfg_ifp_unknown_grace_then_cmd,
      "unknown-imei grace <1-3650> then (blacklisted|greylisted)",
      "No record and no range covers the IMEI (overrides the eir policy on this interface)\n"
      GRACE_HELP THEN_HELP)
{
	return ifp_grace(vty, argc, argv);
}

DEFUN(cfg_ifp_no_unknown, cfg_ifp_no_unknown_cmd, "no unknown-imei",
      NO_STR "Use the eir policy's unknown-imei on this interface\n")
{
	struct eird_iface_policy *p = ifp(vty);

	if (!p)
		return CMD_WARNING;
	p->unknown_imei = -1;
	p->unknown_grace.days = 0;
	return policy_changed();
}

static int config_write_none(struct vty *vty)
{
	return CMD_SUCCESS;	/* written inside the node above */
}

void eird_vty_iface_policy_install(enum eird_iface iface, int parent_node)
{
	struct cmd_node *n = &iface_policy_nodes[iface];

	install_element(parent_node, &cfg_ifp_enter_cmd);
	install_node(n, config_write_none);
	install_element(n->node, &cfg_ifp_mode_cmd);
	install_element(n->node, &cfg_ifp_no_mode_cmd);
	install_element(n->node, &cfg_ifp_unknown_cmd);
	install_element(n->node, &cfg_ifp_unknown_grace_cmd);
	install_element(n->node, &cfg_ifp_unknown_grace_then_cmd);
	install_element(n->node, &cfg_ifp_no_unknown_cmd);
}

bool eird_iface_policy_set(enum eird_iface iface)
{
	const struct eird_iface_policy *p = &g_eird->cfg.iface[iface];

	return p->mode >= 0 || p->unknown_imei >= 0;
}

void eird_vty_iface_policy_write(struct vty *vty, enum eird_iface iface)
{
	const struct eird_iface_policy *p = &g_eird->cfg.iface[iface];

	if (!eird_iface_policy_set(iface))
		return;
	vty_out(vty, " policy%s", VTY_NEWLINE);
	if (p->mode >= 0)
		vty_out(vty, "  mode %s%s", eir_mode_name(p->mode), VTY_NEWLINE);
	if (p->unknown_imei >= 0 && p->unknown_grace.days)
		vty_out(vty, "  unknown-imei grace %u then %s%s", p->unknown_grace.days,
			eir_verdict_name(p->unknown_grace.then), VTY_NEWLINE);
	else if (p->unknown_imei >= 0)
		vty_out(vty, "  unknown-imei %s%s", eir_verdict_name(p->unknown_imei), VTY_NEWLINE);
}

DEFUN(cfg_policy_check_digit, cfg_policy_check_digit_cmd, "check-digit (strict|spare|ignore)",
      "How to treat the 15th digit of an IMEI\n" "It must be the Luhn check digit\n"
      "The check digit, or the spare 0 of MAP and NAS\n" "Accept any 15th digit\n")
{
	eir_policy_set(&eird_cfg_target()->policy, "check-digit", argv[0]);
	return policy_changed();
}

static void write_policy_line(void *ctx, const char *key, const char *value)
{
	struct vty *vty = ctx;
	vty_out(vty, "  %s %s%s", key, value, VTY_NEWLINE);
}

static int config_write_eir(struct vty *vty)
{
	const struct eird_cfg *c = &g_eird->cfg;

	vty_out(vty, "eir%s", VTY_NEWLINE);
	vty_out(vty, " database %s%s", c->db_path, VTY_NEWLINE);
	if (c->stats_socket)
		vty_out(vty, " stats-socket %s%s", c->stats_socket, VTY_NEWLINE);
	else
		vty_out(vty, " no stats-socket%s", VTY_NEWLINE);
	if (c->stats_group)
		vty_out(vty, " stats-socket-group %s%s", c->stats_group, VTY_NEWLINE);
	if (!c->counting)
		vty_out(vty, " counting off%s", VTY_NEWLINE);
	if (c->observed.path)
		vty_out(vty, " observed-db %s%s", c->observed.path, VTY_NEWLINE);
	else
		vty_out(vty, " no observed-db%s", VTY_NEWLINE);
	vty_out(vty, " observed-retention %u%s", c->observed.retention_days, VTY_NEWLINE);
	vty_out(vty, " observed-max-pairs %llu%s", (unsigned long long)c->observed.max_pairs, VTY_NEWLINE);
	if (c->observed.max_size_mb != 8192)
		vty_out(vty, " observed-max-size %u%s", c->observed.max_size_mb, VTY_NEWLINE);
	if (c->observed.interval_ms != 1000)
		vty_out(vty, " observed-batch-interval %u%s", c->observed.interval_ms, VTY_NEWLINE);
	if (c->observed.queue != 1000000)
		vty_out(vty, " observed-queue %u%s", c->observed.queue, VTY_NEWLINE);
	if (c->observed.notify_spool)
		vty_out(vty, " notify-spool %s%s", c->observed.notify_spool, VTY_NEWLINE);
	else
		vty_out(vty, " no notify-spool%s", VTY_NEWLINE);
	vty_out(vty, " notify-reminder %u%s", c->observed.notify_reminder, VTY_NEWLINE);
	if (c->observed.notify_node)
		vty_out(vty, " notify-node %s%s", c->observed.notify_node, VTY_NEWLINE);
	vty_out(vty, " policy%s", VTY_NEWLINE);
	eir_policy_foreach(&c->policy, write_policy_line, vty);
	return CMD_SUCCESS;
}

static int config_write_policy(struct vty *vty)
{
	return CMD_SUCCESS;	/* written inside the eir node */
}

int eird_vty_go_parent(struct vty *vty)
{
	switch (vty->node) {
	case EIR_POLICY_NODE:
		vty->node = EIR_NODE;
		break;
	case N5G_POLICY_NODE:
		vty->node = N5G_NODE;
		break;
	case DIAMETER_POLICY_NODE:
		vty->node = DIAMETER_NODE;
		break;
	case MAP_POLICY_NODE:
		vty->node = MAP_NODE;
		break;
	case EIR_NODE:
	case DIAMETER_NODE:
	case MAP_NODE:
	case N5G_NODE:
		vty->node = CONFIG_NODE;
		vty->index = NULL;
		break;
	default:
#ifdef HAVE_MAP
		/* the cs7 nodes: libosmo-sigtran restores its own vty->index */
		osmo_ss7_vty_go_parent(vty);
#else
		vty->node = CONFIG_NODE;
		vty->index = NULL;
#endif
		break;
	}
	return vty->node;
}

void eird_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_eir_cmd);
	install_node(&eir_node, config_write_eir);
	install_element(EIR_NODE, &cfg_eir_database_cmd);
	install_element(EIR_NODE, &cfg_eir_stats_socket_cmd);
	install_element(EIR_NODE, &cfg_eir_no_stats_socket_cmd);
	install_element(EIR_NODE, &cfg_eir_stats_group_cmd);
	install_element(EIR_NODE, &cfg_eir_counting_cmd);
	install_element(EIR_NODE, &cfg_eir_observed_db_cmd);
	install_element(EIR_NODE, &cfg_eir_no_observed_db_cmd);
	install_element(EIR_NODE, &cfg_eir_notify_spool_cmd);
	install_element(EIR_NODE, &cfg_eir_no_notify_spool_cmd);
	install_element(EIR_NODE, &cfg_eir_notify_reminder_cmd);
	install_element(EIR_NODE, &cfg_eir_notify_node_cmd);
	install_element(EIR_NODE, &cfg_eir_observed_retention_cmd);
	install_element(EIR_NODE, &cfg_eir_observed_max_pairs_cmd);
	install_element(EIR_NODE, &cfg_eir_observed_max_size_cmd);
	install_element(EIR_NODE, &cfg_eir_observed_interval_cmd);
	install_element(EIR_NODE, &cfg_eir_observed_queue_cmd);
	install_element(EIR_NODE, &cfg_eir_policy_cmd);
	install_node(&policy_node, config_write_policy);
	install_element(EIR_POLICY_NODE, &cfg_policy_outcome_cmd);
	install_element(EIR_POLICY_NODE, &cfg_policy_grace_cmd);
	install_element(EIR_POLICY_NODE, &cfg_policy_grace_then_cmd);
	install_element(EIR_POLICY_NODE, &cfg_policy_mode_cmd);
	install_element(EIR_POLICY_NODE, &cfg_policy_tz_cmd);
	install_element(EIR_POLICY_NODE, &cfg_policy_check_digit_cmd);
}

/* ------------------------------------------------------------ the reader */

/* The file as the VTY reads it, one line per read, so that an error can
 * name its line. On a re-read, the blocks eird does not own (log, stats,
 * line vty, cs7: libraries' objects that exist once, set up at start) are
 * left out; they apply at a restart. */
struct cfg_reader {
	FILE *f;
	unsigned lineno;
	char line[512];
	bool own_only;
	bool in_foreign;
};

static bool own_block(const char *word)
{
	static const char *const own[] = { "eir", "diameter", "map", "n5g" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(word, own[i]))
			return true;
	return false;
}

/* Whether a line takes part: comments and blank lines always do. */
static bool keep_line(struct cfg_reader *r, const char *line)
{
	size_t indent = strspn(line, " \t");
	const char *s = line + indent;
	char word[32];
	size_t n;

	if (!r->own_only || !*s || *s == '\n' || *s == '!' || *s == '#')
		return true;
	if (indent == 0) {
		n = strcspn(s, " \t\n");
		snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) ? n : sizeof(word) - 1), s);
		r->in_foreign = !own_block(word);
	}
	return !r->in_foreign;
}

static ssize_t cfg_read(void *cookie, char *buf, size_t size)
{
	struct cfg_reader *r = cookie;
	char line[4096];

	/* One line per call; the VTY reads with a buffer larger than any
	 * line it accepts. */
	while (fgets(line, sizeof(line), r->f)) {
		size_t n = strlen(line);

		r->lineno++;
		snprintf(r->line, sizeof(r->line), "%.*s", (int)strcspn(line, "\n"), line);
		if (!keep_line(r, line))
			continue;
		if (n > size)
			n = size;
		memcpy(buf, line, n);
		return (ssize_t)n;
	}
	return 0;
}

static int read_file(const char *path, bool own_only, char *err, size_t errsz)
{
	struct cfg_reader r = { .own_only = own_only };
	cookie_io_functions_t io = { .read = cfg_read };
	FILE *fp;
	int rc;

	r.f = fopen(path, "r");
	if (!r.f) {
		snprintf(err, errsz, "cannot read the configuration %s: %s", path, strerror(errno));
		return -1;
	}
	fp = fopencookie(&r, "r", io);
	if (!fp) {
		fclose(r.f);
		snprintf(err, errsz, "cannot read the configuration %s", path);
		return -1;
	}
	rc = vty_read_config_filep(fp, NULL);
	fclose(fp);
	fclose(r.f);
	if (rc < 0) {
		const char *s = r.line + strspn(r.line, " \t");
		snprintf(err, errsz, "%s:%u: '%s' is not valid here: an unknown command for its node, "
			 "or a value that is malformed or out of range (the VTY's `?` lists what is allowed)",
			 path, r.lineno, s);
		return -1;
	}
	return 0;
}

int eird_config_read(const char *path)
{
	char err[1024];

	if (read_file(path, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "eird: %s\n", err);
		return -1;
	}
	host_config_set(path);	/* for `write file` and `show startup-config` */
	return 0;
}

static bool differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

int eird_config_reload(void)
{
	void *tmp = talloc_named_const(g_eird->ctx, 0, "config reload");
	struct eird_cfg *c = talloc_zero(tmp, struct eird_cfg);
	char err[1024];
	int rc;

	eird_cfg_defaults(c, tmp);
	scratch = c;
	rc = read_file(g_eird->config_file, true, err, sizeof(err));
	scratch = NULL;
	if (rc < 0) {
		LOGP(DPOLICY, LOGL_ERROR, "policy not reloaded (the running configuration stays): %s\n", err);
		talloc_free(tmp);
		return -EINVAL;
	}
	g_eird->cfg.policy = c->policy;
	memcpy(g_eird->cfg.iface, c->iface, sizeof(c->iface));
	g_eird->cfg.observed.retention_days = c->observed.retention_days;
	g_eird->cfg.observed.max_pairs = c->observed.max_pairs;
	g_eird->cfg.observed.notify_reminder = c->observed.notify_reminder;
	eird_policy_apply();
	LOGP(DPOLICY, LOGL_NOTICE, "policy reloaded from %s (mode: s13 %s, map %s, n5g %s)\n", g_eird->config_file,
	     eir_mode_name(g_eird->policy[EIRD_IF_S13].mode), eir_mode_name(g_eird->policy[EIRD_IF_MAP].mode),
	     eir_mode_name(g_eird->policy[EIRD_IF_N5G].mode));
	if (differs(c->db_path, g_eird->cfg.db_path) || differs(c->stats_socket, g_eird->cfg.stats_socket) ||
	    differs(c->stats_group, g_eird->cfg.stats_group) || c->counting != g_eird->cfg.counting ||
	    differs(c->observed.path, g_eird->cfg.observed.path) ||
	    differs(c->observed.notify_spool, g_eird->cfg.observed.notify_spool) ||
	    differs(c->observed.notify_node, g_eird->cfg.observed.notify_node) ||
	    c->observed.max_size_mb != g_eird->cfg.observed.max_size_mb ||
	    c->observed.interval_ms != g_eird->cfg.observed.interval_ms ||
	    c->observed.queue != g_eird->cfg.observed.queue)
		LOGP(DMAIN, LOGL_NOTICE, "%s: the eir node's database, stats-socket, counting, observed-db, "
		     "-max-size, -batch-interval, -queue, notify-spool and notify-node settings changed; they apply "
		     "at the next restart\n",
		     g_eird->config_file);
	talloc_free(tmp);
	return 0;
}
