/* map-msc: the test MSC (and echo EIR) for eird's MAP front end.
 *   map-msc --stp PORT --pc PC [--name N] [--ssn S] [--eir-pc PC] [--timeout MS] send
 *       reads one TCAP message per line on stdin (hex; "gt DIGITS HEX" sends
 *       it with a global-title calling address), sends each as an SCCP UDT to
 *       SSN 9 at --eir-pc through the STP, waits for the reply and prints
 *       "reply CALLING CALLED HEX", "notice CAUSE" or "none" per line.
 *   map-msc --stp PORT --pc PC [--name N] echo
 *       binds SSN 9 and returns every UDT to its sender unchanged: the
 *       trivial SCCP user the MAP benchmark measures the STP's relay with.
 * The TCAP bytes come from the caller (an encoder independent of eird's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>

#include "sccp_peer.h"

#define MAX_LINES 1024

static struct sccp_peer peer;
static uint32_t eir_pc;
static int timeout_ms = 2000;
static char *lines[MAX_LINES];
static unsigned n_lines, cur;
static bool waiting;
static struct osmo_timer_list timer;
static bool done;

static void addr_print(char *buf, size_t len, const struct osmo_sccp_addr *a)
{
	snprintf(buf, len, "ri=%s,pc=%u,ssn=%u,gt=%s",
		 a->ri == OSMO_SCCP_RI_GT ? "gt" : "ssn",
		 (a->presence & OSMO_SCCP_ADDR_T_PC) ? a->pc : 0,
		 (a->presence & OSMO_SCCP_ADDR_T_SSN) ? a->ssn : 0,
		 (a->presence & OSMO_SCCP_ADDR_T_GT) && a->gt.digits[0] ? a->gt.digits : "-");
}

static void send_next(void);

static void answered(const char *what)
{
	printf("%s\n", what);
	fflush(stdout);
	waiting = false;
	osmo_timer_del(&timer);
	cur++;
	send_next();
}

static void send_next(void)
{
	struct osmo_sccp_addr calling, called;
	uint8_t data[1024];
	char *line, *hex;
	int len;

	if (cur >= n_lines) {
		done = true;
		return;
	}
	line = lines[cur];
	osmo_sccp_make_addr_pc_ssn(&calling, peer.pc, 8);
	osmo_sccp_make_addr_pc_ssn(&called, eir_pc, 9);
	hex = line;
	if (!strncmp(line, "gt ", 3)) {
		char *digits = line + 3;
		hex = strchr(digits, ' ');
		if (!hex) {
			fprintf(stderr, "map-msc: bad line %u\n", cur + 1);
			exit(2);
		}
		*hex++ = '\0';
		memset(&calling, 0, sizeof(calling));
		calling.presence = OSMO_SCCP_ADDR_T_GT | OSMO_SCCP_ADDR_T_SSN;
		calling.ri = OSMO_SCCP_RI_GT;
		calling.ssn = 8;
		calling.gt.gti = OSMO_SCCP_GTI_TT_NPL_ENC_NAI;
		calling.gt.tt = 0;
		calling.gt.npi = OSMO_SCCP_NPI_E164_ISDN;
		calling.gt.nai = OSMO_SCCP_NAI_INTL;
		osmo_strlcpy(calling.gt.digits, digits, sizeof(calling.gt.digits));
	}
	len = osmo_hexparse(hex, data, sizeof(data));
	if (len < 0) {
		fprintf(stderr, "map-msc: bad hex on line %u\n", cur + 1);
		exit(2);
	}
	waiting = true;
	osmo_timer_schedule(&timer, timeout_ms / 1000, (timeout_ms % 1000) * 1000);
	osmo_sccp_tx_unitdata(peer.user, &calling, &called, data, (unsigned)len);
}

static void on_timeout(void *data)
{
	if (waiting)
		answered("none");
}

static int msc_cb(struct osmo_prim_hdr *oph, void *scu)
{
	struct osmo_scu_prim *prim = (struct osmo_scu_prim *)oph;
	char out[4096], cg[128], cd[128];

	switch (OSMO_PRIM_HDR(oph)) {
	case OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION):
		addr_print(cg, sizeof(cg), &prim->u.unitdata.calling_addr);
		addr_print(cd, sizeof(cd), &prim->u.unitdata.called_addr);
		snprintf(out, sizeof(out), "reply %s %s %s", cg, cd,
			 osmo_hexdump_nospc(msgb_l2(oph->msg), msgb_l2len(oph->msg)));
		if (waiting)
			answered(out);
		else
			printf("unexpected %s\n", out);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_NOTICE, PRIM_OP_INDICATION):
		snprintf(out, sizeof(out), "notice %u", prim->u.notice.cause);
		if (waiting)
			answered(out);
		break;
	default:
		break;
	}
	msgb_free(oph->msg);
	return 0;
}

static int echo_cb(struct osmo_prim_hdr *oph, void *scu)
{
	struct osmo_scu_prim *prim = (struct osmo_scu_prim *)oph;

	if (OSMO_PRIM_HDR(oph) == OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION))
		osmo_sccp_tx_unitdata(peer.user, &prim->u.unitdata.called_addr,
				      &prim->u.unitdata.calling_addr,
				      msgb_l2(oph->msg), msgb_l2len(oph->msg));
	msgb_free(oph->msg);
	return 0;
}

static void read_lines(void)
{
	char buf[4096];

	while (fgets(buf, sizeof(buf), stdin) && n_lines < MAX_LINES) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] && buf[0] != '#')
			lines[n_lines++] = strdup(buf);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: map-msc --stp PORT --pc PC [--name N] [--eir-pc PC] "
			"[--timeout MS] send|echo\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stp", required_argument, NULL, 's' },
		{ "pc", required_argument, NULL, 'p' },
		{ "eir-pc", required_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct log_info_cat cats[] = {};
	static const struct log_info info = { .cat = cats, .num_cat = 0 };
	void *ctx = talloc_named_const(NULL, 0, "map-msc");
	const char *name = "msc", *mode;
	int stp_port = 0, pc = -1, c;
	bool echo;

	eir_pc = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': stp_port = atoi(optarg); break;
		case 'p': pc = sccp_peer_pc(optarg); break;
		case 'e': eir_pc = (uint32_t)sccp_peer_pc(optarg); break;
		case 'n': name = optarg; break;
		case 't': timeout_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || stp_port <= 0 || pc < 0)
		usage();
	mode = argv[optind];
	echo = !strcmp(mode, "echo");
	if (!echo && strcmp(mode, "send"))
		usage();

	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &info);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	osmo_ss7_init();
	if (!echo)
		read_lines();
	if (sccp_peer_start(&peer, ctx, name, (uint32_t)pc, stp_port, echo ? 9 : 8,
			    echo ? echo_cb : msc_cb, 10000) < 0)
		return 1;
	if (echo) {
		printf("echo ready\n");
		fflush(stdout);
		for (;;)
			osmo_select_main(0);
	}
	osmo_timer_setup(&timer, on_timeout, NULL);
	send_next();
	while (!done)
		osmo_select_main(0);
	return 0;
}
