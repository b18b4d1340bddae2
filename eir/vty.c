/* eird's VTY: the `eir` node (database) and its `policy` node, with the
 * config_write functions that make `write terminal` print them back. */
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

DEFUN(cfg_eir, cfg_eir_cmd, "eir", "Configure the Equipment Identity Register\n")
{
	vty->node = EIR_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_database, cfg_eir_database_cmd, "database PATH",
      "Database directory written by eir-sync\n" "Path (default /var/lib/eir)\n")
{
	osmo_talloc_replace_string(g_eird->ctx, &g_eird->db_path, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_stats_socket, cfg_eir_stats_socket_cmd, "stats-socket PATH",
      "Unix socket for the NOC: stats, prometheus, json\n" "Path (default /run/eir/eird.sock)\n")
{
	osmo_talloc_replace_string(g_eird->ctx, &g_eird->stats_socket, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_no_stats_socket, cfg_eir_no_stats_socket_cmd, "no stats-socket",
      NO_STR "No stats socket\n")
{
	TALLOC_FREE(g_eird->stats_socket);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_stats_group, cfg_eir_stats_group_cmd, "stats-socket-group NAME",
      "Group that may use the stats socket (mode 0660)\n" "Group name\n")
{
	osmo_talloc_replace_string(g_eird->ctx, &g_eird->stats_group, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_eir_counting, cfg_eir_counting_cmd, "counting (on|off)",
      "Count S13 requests, verdicts, policy branches and latency\n"
      "Count (default)\n" "Do not count: only to measure what counting costs\n")
{
	g_eird->counting = !strcmp(argv[0], "on");
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
	if (eir_policy_set(&g_eird->policy, argv[0], argv[1])) {
		vty_out(vty, "%% cannot set %s to %s%s", argv[0], argv[1], VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_policy_check_digit, cfg_policy_check_digit_cmd, "check-digit (strict|spare|ignore)",
      "How to treat the 15th digit of an IMEI\n" "It must be the Luhn check digit\n"
      "The check digit, or the spare 0 of MAP and NAS\n" "Accept any 15th digit\n")
{
	eir_policy_set(&g_eird->policy, "check-digit", argv[0]);
	return CMD_SUCCESS;
}

static void write_policy_line(void *ctx, const char *key, const char *value)
{
	struct vty *vty = ctx;
	vty_out(vty, "  %s %s%s", key, value, VTY_NEWLINE);
}

static int config_write_eir(struct vty *vty)
{
	vty_out(vty, "eir%s", VTY_NEWLINE);
	vty_out(vty, " database %s%s", g_eird->db_path, VTY_NEWLINE);
	if (g_eird->stats_socket)
		vty_out(vty, " stats-socket %s%s", g_eird->stats_socket, VTY_NEWLINE);
	else
		vty_out(vty, " no stats-socket%s", VTY_NEWLINE);
	if (g_eird->stats_group)
		vty_out(vty, " stats-socket-group %s%s", g_eird->stats_group, VTY_NEWLINE);
	if (!g_eird->counting)
		vty_out(vty, " counting off%s", VTY_NEWLINE);
	vty_out(vty, " policy%s", VTY_NEWLINE);
	eir_policy_foreach(&g_eird->policy, write_policy_line, vty);
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
	case EIR_NODE:
	case DIAMETER_NODE:
	case MAP_NODE:
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
	install_element(EIR_NODE, &cfg_eir_policy_cmd);
	install_node(&policy_node, config_write_policy);
	install_element(EIR_POLICY_NODE, &cfg_policy_outcome_cmd);
	install_element(EIR_POLICY_NODE, &cfg_policy_check_digit_cmd);
}
