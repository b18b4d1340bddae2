/* fd-eir: the baseline of the S13 benchmark, an EIR as one would build it on
 * freeDiameter (libfdcore): it answers every ME-Identity-Check with
 * Result-Code 2001 and a static Equipment-Status (WHITELISTED), without
 * looking anything up. Peers are admitted by the acl_wl extension of its
 * configuration. Runs until SIGINT or SIGTERM.
 * Usage: fd-eir CONF */
#include <signal.h>

#include "fd_s13.h"

static int on_ecr(struct msg **msg, struct avp *avp, struct session *sess, void *opaque,
		  enum disp_action *act)
{
	struct msg *ans = *msg;

	CHECK(fd_msg_new_answer_from_req(fd_g_config->cnf_dict, &ans, 0));
	add_u32(ans, d_auth_session_state, 1);
	CHECK(fd_msg_rescode_set(ans, "DIAMETER_SUCCESS", NULL, NULL, 1));
	add_u32(ans, d_equipment_status, 0);
	CHECK(fd_msg_send(&ans, NULL, NULL));
	*msg = NULL;
	*act = DISP_ACT_CONT;
	return 0;
}

int main(int argc, char **argv)
{
	struct disp_when when = { 0 };
	sigset_t set;
	int sig;

	if (argc != 2) {
		fprintf(stderr, "usage: fd-eir CONF\n");
		return 2;
	}
	fd_g_debug_lvl = FD_LOG_ERROR;
	CHECK(fd_core_initialize());
	CHECK(fd_core_parseconf(argv[1]));
	dict_setup();
	when.command = cmd_ecr;
	when.app = app;
	CHECK(fd_disp_register(on_ecr, DISP_HOW_CC, &when, NULL, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	CHECK(fd_core_start());
	CHECK(fd_core_waitstartcomplete());
	printf("fd-eir ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	fd_core_shutdown();
	fd_core_wait_shutdown_complete();
	return 0;
}
