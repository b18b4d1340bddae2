/* eird's MAP front end (MAP CheckIMEI over SCCP): binds SSN 9 on a libosmo-sigtran SCCP instance
 * (configured by the `cs7 instance` nodes: M3UA over SCTP, or SCCP over IPA
 * on TCP where SCTP is absent; the code path is the same), hands every
 * received UDT to checkimei.c and sends the answer back with the addresses
 * swapped. One TCAP message per SCCP primitive, so the store batch is closed
 * on the next loop turn: every CheckIMEI of one turn shares it. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/msgb.h>
#include <osmocom/core/prim.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/netif/stream.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>
#include <osmocom/sigtran/sccp_sap.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "checkimei.h"
#include "eird.h"
#include "hist.h"

#define SSN_EIR 9

/* The counters: the codec's events (checkimei.h), then the transport's. */
enum {
	CTR_UNROUTABLE = MAP_EV_COUNT,
	CTR_OUTPUT_PAUSED,
	MAP_CTR_COUNT
};

static const struct rate_ctr_desc map_ctr_desc[] = {
	[MAP_EV_RX_BEGIN] = { "map:rx:begin", "TCAP Begins received" },
	[MAP_EV_RX_V1] = { "map:rx:checkimei:v1", "CheckIMEI invokes in MAP v1 dialogues (no AC)" },
	[MAP_EV_RX_V2] = { "map:rx:checkimei:v2", "CheckIMEI invokes in equipmentMngtContext-v2 dialogues" },
	[MAP_EV_RX_V3] = { "map:rx:checkimei:v3", "CheckIMEI invokes in equipmentMngtContext-v3 dialogues" },
	[MAP_EV_TX_WHITE] = { "map:tx:whitelisted", "Results with equipmentStatus whiteListed" },
	[MAP_EV_TX_BLACK] = { "map:tx:blacklisted", "Results with equipmentStatus blackListed" },
	[MAP_EV_TX_GREY] = { "map:tx:greylisted", "Results with equipmentStatus greyListed" },
	[MAP_EV_TX_UNKNOWN_EQUIPMENT] = { "map:tx:unknown-equipment", "ReturnError unknownEquipment" },
	[MAP_EV_TX_SYSTEM_FAILURE] = { "map:tx:system-failure", "ReturnError systemFailure (store failure, policy failure unknown)" },
	[MAP_EV_TX_DATA_MISSING] = { "map:tx:data-missing", "ReturnError dataMissing (BMUEF without IMEISV)" },
	[MAP_EV_TX_REJECT] = { "map:tx:reject", "Reject components sent" },
	[MAP_EV_TX_AC_REFUSED] = { "map:tx:ac-refused", "Dialogues refused (U-Abort, AC or protocol version not supported)" },
	[MAP_EV_TX_P_ABORT] = { "map:tx:p-abort", "P-Aborts sent" },
	[MAP_EV_DISCARDED] = { "map:rx:discarded", "Messages discarded (undecodable without otid, End, Abort, Unidirectional)" },
	[MAP_EV_ERR_TRANSACTION] = { "map:error:transaction", "Bad or unknown transaction portion" },
	[MAP_EV_ERR_DIALOGUE] = { "map:error:dialogue", "Dialogue refused: AC or protocol version" },
	[MAP_EV_ERR_COMPONENT] = { "map:error:component", "Bad or unexpected components" },
	[MAP_EV_ERR_OPERATION] = { "map:error:operation", "Operations other than checkIMEI" },
	[MAP_EV_ERR_ARGUMENT] = { "map:error:argument", "Mistyped checkIMEI arguments" },
	[CTR_UNROUTABLE] = { "map:tx:unroutable", "Answers that could not be sent (no route, send failure)" },
	[CTR_OUTPUT_PAUSED] = { "map:output:paused", "Reading the STP link paused: answers could not be written" },
};

osmo_static_assert(ARRAY_SIZE(map_ctr_desc) == MAP_CTR_COUNT, map_ctr_desc_matches_enum);

static const struct rate_ctr_group_desc map_ctrg_desc = {
	.group_name_prefix = "map",
	.group_description = "MAP CheckIMEI front end",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(map_ctr_desc),
	.ctr_desc = map_ctr_desc,
};

static struct {
	bool configured;
	uint32_t cs7_instance;
	uint16_t ssn;
	int max_version;
	bool reply_pc_set;
	uint32_t reply_pc;		/* where answers to GT-addressed callers go (the STP) */
	char *reply_pc_str;
	struct osmo_sccp_instance *sccp;
	struct osmo_sccp_user *user;
	struct osmo_ss7_asp *asp;
	struct rate_ctr_group *ctrs;
	struct eir_hist latency;
	struct osmo_timer_list batch_timer;
	struct osmo_timer_list resume_timer;
	struct osmo_fd *paused;		/* the STP link's socket while not read */
	int paused_fd;			/* its descriptor then: a reconnect gets another */
	uint64_t paused_at;
	struct map_eir eir;
} M = { .ssn = SSN_EIR, .max_version = 3 };

/* Answers that cannot reach their caller come in floods (a routing
 * mistake hits every answer): logged at most once a second, with the count
 * of those not logged. */
static bool unroutable_log_due(uint64_t *suppressed)
{
	static struct eird_ratelimit rl;

	return eird_ratelimit_due(&rl, 1000000000ULL, suppressed);
}

static void ctr_count(unsigned i)
{
	if (g_eird->cfg.counting)
		rate_ctr_inc(rate_ctr_group_get_ctr(M.ctrs, i));
}

static void count(void *ctx, enum map_event ev)
{
	ctr_count(ev);
}

static void check(void *ctx, const struct eir_query *q, struct eir_result *res)
{
	eird_check(EIRD_IF_MAP, q, res);
	if (!osmo_timer_pending(&M.batch_timer))
		osmo_timer_schedule(&M.batch_timer, 0, 0);
}

static void batch_end(void *data)
{
	eird_batch_end();
}

/* The answer goes to the caller's address. A caller that gave only a
 * global title (routing on GT, no point code) is reached through the STP:
 * libosmo-sigtran does no GT translation, so the answer carries the STP's
 * point code for MTP routing and keeps RI = GT for the STP to translate. */
static bool reply_address(struct osmo_sccp_addr *called)
{
	if (called->presence & OSMO_SCCP_ADDR_T_PC)
		return true;
	if (!M.reply_pc_set)
		return false;
	called->presence |= OSMO_SCCP_ADDR_T_PC;
	called->pc = M.reply_pc;
	return true;
}

/* Bounded output towards the STP. libosmo-sigtran queues every answer in
 * its stream client without limit; when the STP stops reading, that queue
 * would grow with each request it still sends. So once the socket's kernel
 * buffer is full with answers still queued, eird stops reading the link:
 * each request read adds one answer, so the queue stays at what was read
 * before the pause, and TCP/SCTP pushes back on the STP. Reading resumes
 * as soon as the socket takes data again. */
static struct osmo_fd *link_fd(void)
{
	return M.asp && M.asp->client ? osmo_stream_cli_get_ofd(M.asp->client) : NULL;
}

static bool link_blocked(struct osmo_fd *ofd)
{
	struct pollfd p = { .fd = ofd->fd, .events = POLLOUT };

	if (!(ofd->when & OSMO_FD_WRITE))
		return false;	/* nothing queued */
	return poll(&p, 1, 0) == 0;
}

static void resume_cb(void *data)
{
	struct osmo_fd *ofd = link_fd();
	bool same = ofd && ofd == M.paused && ofd->fd >= 0 && ofd->fd == M.paused_fd;

	if (same && link_blocked(ofd)) {
		if (M.paused_at && eird_now_ns() - M.paused_at > 30 * 1000000000ULL) {
			LOGP(DMAP, LOGL_ERROR, "the STP has not read our answers for 30 s; the link stays paused\n");
			M.paused_at = 0;	/* said once per pause */
		}
		osmo_timer_schedule(&M.resume_timer, 0, 10000);
		return;
	}
	/* The socket takes data again. After a reconnect the library has
	 * set the link's socket up afresh, reading on: nothing to undo. */
	if (same)
		osmo_fd_read_enable(ofd);
	M.paused = NULL;
	LOGP(DMAP, LOGL_NOTICE, "%s, reading resumed\n", same ? "the STP reads our answers again" : "the STP link was re-established");
}

static void output_check(void)
{
	struct osmo_fd *ofd = link_fd();

	if (M.paused || !ofd || !link_blocked(ofd))
		return;
	osmo_fd_read_disable(ofd);
	M.paused = ofd;
	M.paused_fd = ofd->fd;
	M.paused_at = eird_now_ns();
	rate_ctr_inc(rate_ctr_group_get_ctr(M.ctrs, CTR_OUTPUT_PAUSED));
	LOGP(DMAP, LOGL_NOTICE, "the STP does not read our answers: not reading the link until it does\n");
	osmo_timer_schedule(&M.resume_timer, 0, 10000);
}

static void on_unitdata(struct osmo_scu_prim *prim, struct msgb *msg)
{
	struct osmo_scu_unitdata_param *ud = &prim->u.unitdata;
	struct osmo_sccp_addr called = ud->calling_addr;
	uint8_t out[MAP_MAX_ANSWER];
	uint64_t t0 = g_eird->cfg.counting ? eird_now_ns() : 0;
	long n;

	M.eir.imei_flags = g_eird->cfg.policy.imei_flags;	/* follows SIGHUP reloads */
	n = map_eir_handle(&M.eir, msgb_l2(msg), msgb_l2len(msg), out, sizeof(out));
	if (n <= 0) {
		if (n < 0)
			LOGP(DMAP, LOGL_ERROR, "answer does not fit\n");
		return;
	}
	if (!reply_address(&called)) {
		uint64_t more;

		ctr_count(CTR_UNROUTABLE);
		if (unroutable_log_due(&more))
			LOGP(DMAP, LOGL_ERROR, "no route for the answer to %s: set `reply-point-code` in the map node "
			     "(%llu more since the last report)\n", osmo_sccp_addr_dump(&ud->calling_addr),
			     (unsigned long long)more);
		return;
	}
	if (osmo_sccp_tx_unitdata(M.user, &ud->called_addr, &called, out, (unsigned)n) < 0) {
		ctr_count(CTR_UNROUTABLE);
		return;
	}
	output_check();
	if (g_eird->cfg.counting)
		eir_hist_add(&M.latency, eird_now_ns() - t0);
}

static int sccp_cb(struct osmo_prim_hdr *oph, void *scu)
{
	struct osmo_scu_prim *prim = (struct osmo_scu_prim *)oph;

	switch (OSMO_PRIM_HDR(oph)) {
	case OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION):
		on_unitdata(prim, oph->msg);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_NOTICE, PRIM_OP_INDICATION): {
		/* An answer of ours came back (UDTS): the caller is unreachable. */
		uint64_t more;

		ctr_count(CTR_UNROUTABLE);
		if (unroutable_log_due(&more))
			LOGP(DMAP, LOGL_NOTICE, "answer returned by SCCP, cause %u, to %s (%llu more since the last report)\n",
			     prim->u.notice.cause, osmo_sccp_addr_dump(&prim->u.notice.called_addr),
			     (unsigned long long)more);
		break;
	}
	default:
		LOGP(DMAP, LOGL_DEBUG, "SCCP primitive %s ignored\n", osmo_scu_prim_name(oph));
		break;
	}
	msgb_free(oph->msg);
	return 0;
}

/* The protocol of the AS the config defines (IPA, M3UA, SUA); M3UA when
 * the instance has none, as in production behind an STP. */
static enum osmo_ss7_asp_protocol configured_protocol(struct osmo_ss7_instance *inst)
{
	struct osmo_ss7_as *as;

	if (inst)
		llist_for_each_entry(as, &inst->as_list, list)
			return as->cfg.proto;
	return OSMO_SS7_ASP_PROT_M3UA;
}

static int map_start(void *ctx)
{
	struct osmo_ss7_instance *inst;
	enum osmo_ss7_asp_protocol proto;
	struct osmo_ss7_asp *asp;

	if (!M.configured)
		return 0;
	M.ctrs = rate_ctr_group_alloc(ctx, &map_ctrg_desc, 0);
	osmo_timer_setup(&M.batch_timer, batch_end, NULL);
	osmo_timer_setup(&M.resume_timer, resume_cb, NULL);
	inst = osmo_ss7_instance_find(M.cs7_instance);
	if (!inst || !osmo_ss7_pc_is_valid(inst->cfg.primary_pc)) {
		LOGP(DMAP, LOGL_FATAL, "map: cs7 instance %u needs a point-code\n", M.cs7_instance);
		return -EINVAL;
	}
	proto = configured_protocol(inst);
	M.sccp = osmo_sccp_simple_client_on_ss7_id(ctx, M.cs7_instance, "eir", inst->cfg.primary_pc,
						   proto, 0, NULL, 0, NULL);
	if (!M.sccp) {
		LOGP(DMAP, LOGL_FATAL, "map: cannot set up SCCP on cs7 instance %u (%s)\n", M.cs7_instance,
		     osmo_ss7_asp_protocol_name(proto));
		return -EINVAL;
	}
	M.user = osmo_sccp_user_bind(M.sccp, "EIR", sccp_cb, M.ssn);
	if (!M.user) {
		LOGP(DMAP, LOGL_FATAL, "map: cannot bind SSN %u\n", M.ssn);
		return -EBUSY;
	}
	llist_for_each_entry(asp, &inst->asp_list, list) {
		M.asp = asp;
		break;
	}
	M.eir = (struct map_eir){
		.check = check, .count = count, .ctx = NULL, .max_version = M.max_version,
		.imei_flags = g_eird->cfg.policy.imei_flags,
	};
	LOGP(DMAP, LOGL_NOTICE, "MAP EIR on cs7 instance %u, PC %s, SSN %u, %s\n", M.cs7_instance,
	     osmo_ss7_pointcode_print(inst, inst->cfg.primary_pc), M.ssn, osmo_ss7_asp_protocol_name(proto));
	return 0;
}

static struct rate_ctr_group *map_counters(void)
{
	return M.ctrs;
}

static struct eir_hist *map_latency(void)
{
	return M.ctrs ? &M.latency : NULL;
}

/* The peers of the MAP front end: the ASP towards the STP. */
static void map_foreach_peer(eird_peer_fn fn, void *ctx)
{
	struct eird_peer e;
	char addr[64] = "-";

	if (!M.asp)
		return;
	osmo_ss7_asp_peer_snprintf(addr, sizeof(addr), &M.asp->cfg.remote);
	e = (struct eird_peer){
		.host = M.asp->cfg.name, .addr = addr,
		.up = osmo_ss7_asp_active(M.asp),
	};
	e.state = e.up ? "active" : "down";
	fn(ctx, &e);
}

/* --------------------------------------------------------------- VTY */

static struct cmd_node map_node = { .node = MAP_NODE, .prompt = "%s(config-map)# ", .vtysh = 1 };

DEFUN(cfg_map, cfg_map_cmd, "map", "Configure the MAP CheckIMEI front end (SCCP user)\n")
{
	if (!eird_cfg_checking())
		M.configured = true;
	vty->node = MAP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_map_cs7, cfg_map_cs7_cmd, "cs7-instance <0-15>",
      "The cs7 instance to bind on (default 0)\n" "Instance number\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	M.cs7_instance = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_map_ssn, cfg_map_ssn_cmd, "ssn <2-254>",
      "Subsystem number to bind (default 9, EIR)\n" "SSN\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	M.ssn = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_map_max_version, cfg_map_max_version_cmd, "max-version (2|3)",
      "Highest equipmentMngtContext version accepted; offered when refusing a dialogue\n"
      "Version 2\n" "Version 3 (default)\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	M.max_version = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_map_reply_pc, cfg_map_reply_pc_cmd, "reply-point-code POINT_CODE",
      "Point code (the STP's) for answers to callers addressed by global title only\n"
      "Point code, e.g. 0.23.0\n")
{
	struct osmo_ss7_instance *inst = osmo_ss7_instance_find(M.cs7_instance);
	int pc = osmo_ss7_pointcode_parse(inst, argv[0]);

	if (pc < 0) {
		vty_out(vty, "%% invalid point code %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EIRD_CFG_APPLY_OR_RETURN();
	M.reply_pc = (uint32_t)pc;
	M.reply_pc_set = true;
	osmo_talloc_replace_string(g_eird->ctx, &M.reply_pc_str, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_map_no_reply_pc, cfg_map_no_reply_pc_cmd, "no reply-point-code",
      NO_STR "Answer GT-only callers only when their address has a point code\n")
{
	EIRD_CFG_APPLY_OR_RETURN();
	M.reply_pc_set = false;
	TALLOC_FREE(M.reply_pc_str);
	return CMD_SUCCESS;
}

static int config_write_map(struct vty *vty)
{
	if (!M.configured)
		return CMD_SUCCESS;
	vty_out(vty, "map%s", VTY_NEWLINE);
	vty_out(vty, " cs7-instance %u%s", M.cs7_instance, VTY_NEWLINE);
	vty_out(vty, " ssn %u%s", M.ssn, VTY_NEWLINE);
	vty_out(vty, " max-version %d%s", M.max_version, VTY_NEWLINE);
	if (M.reply_pc_set)
		vty_out(vty, " reply-point-code %s%s", M.reply_pc_str, VTY_NEWLINE);
	eird_vty_iface_policy_write(vty, EIRD_IF_MAP);
	return CMD_SUCCESS;
}

static void map_vty_init(void *ctx)
{
	osmo_ss7_init();
	osmo_ss7_vty_init_asp(ctx);
	osmo_sccp_vty_init();
	install_element(CONFIG_NODE, &cfg_map_cmd);
	install_node(&map_node, config_write_map);
	install_element(MAP_NODE, &cfg_map_cs7_cmd);
	install_element(MAP_NODE, &cfg_map_ssn_cmd);
	install_element(MAP_NODE, &cfg_map_max_version_cmd);
	install_element(MAP_NODE, &cfg_map_reply_pc_cmd);
	install_element(MAP_NODE, &cfg_map_no_reply_pc_cmd);
	eird_vty_iface_policy_install(EIRD_IF_MAP, MAP_NODE);
}

const struct eird_frontend eird_fe_map = {
	.name = "map",
	.title = "MAP",
	.vty_init = map_vty_init,
	.start = map_start,
	.counters = map_counters,
	.latency = map_latency,
	.foreach_peer = map_foreach_peer,
	.latency_key = "map_latency",
	.latency_json = "latency",
	.latency_prom = "eir_map_latency_seconds",
	.latency_help = "MAP answer latency inside eird, SCCP indication to answer sent.",
	.latency_item = "map:latency",
	.peers_key = "asp_up",
	.peers_prom = "eir_map_asp_up",
	.peers_item = "map:asp-up",
	.peers_help = "1 when the ASP towards the STP is active",
};
