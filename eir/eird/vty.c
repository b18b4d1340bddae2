/* eird's configuration: the `eir` node (database, stats socket) and its
 * `policy` node, the config_write functions that make `write terminal`
 * print them back, and the one reader of eird.cfg: at start it applies the
 * whole file; on SIGHUP it reads the whole file again through the same
 * commands into a scratch copy that starts from the defaults, and swaps the
 * policy (with the front ends' policy overrides) in only when every line is
 * valid. Errors name file:line. */
#include <errno.h>
#include <stdio.h>
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
		c->iface[i].unknown_imei = -1;
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
	return CMD_SUCCESS;
}

DEFUN(cfg_policy_check_digit, cfg_policy_check_digit_cmd, "check-digit (strict|spare|ignore)",
      "How to treat the 15th digit of an IMEI\n" "It must be the Luhn check digit\n"
      "The check digit, or the spare 0 of MAP and NAS\n" "Accept any 15th digit\n")
{
	eir_policy_set(&eird_cfg_target()->policy, "check-digit", argv[0]);
	return CMD_SUCCESS;
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
	install_element(EIR_NODE, &cfg_eir_policy_cmd);
	install_node(&policy_node, config_write_policy);
	install_element(EIR_POLICY_NODE, &cfg_policy_outcome_cmd);
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
	LOGP(DPOLICY, LOGL_NOTICE, "policy reloaded from %s\n", g_eird->config_file);
	if (differs(c->db_path, g_eird->cfg.db_path) || differs(c->stats_socket, g_eird->cfg.stats_socket) ||
	    differs(c->stats_group, g_eird->cfg.stats_group) || c->counting != g_eird->cfg.counting)
		LOGP(DMAIN, LOGL_NOTICE, "%s: the eir node's database, stats-socket and counting settings "
		     "changed; they apply at the next restart\n", g_eird->config_file);
	talloc_free(tmp);
	return 0;
}
