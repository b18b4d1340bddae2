/* fd-mme: an MME's S13 side built on freeDiameter (libfdcore), the peer
 * that eird's integration test talks to. It connects to the peer named in
 * its freeDiameter configuration, sends one ME-Identity-Check-Request per
 * query line ("IMEI SOFTWARE_VERSION|- IMSI|-") and prints one line per
 * answer: "IMEI IMSI RESULT", RESULT being the Equipment-Status (0, 1, 2),
 * E<code> for an Experimental-Result or R<code> for another Result-Code.
 * After the queries it keeps the connection for HOLD seconds (watchdogs
 * run meanwhile), prints "open" or "closed", then shuts down (DPR).
 * Usage: fd-mme CONF PEER QUERIES [HOLD]
 * Exit status: 0 done, 3 the peer never opened (refused), 1 other errors. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

#include "fd_s13.h"

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char answer[64];
static int answered;

/* Experimental-Result-Code among the children of Experimental-Result. */
static int exp_code(struct avp *grouped, uint32_t *out)
{
	struct avp *child = NULL;
	struct avp_hdr *h;

	if (fd_msg_browse(grouped, MSG_BRW_FIRST_CHILD, &child, NULL))
		return -1;
	while (child) {
		if (!fd_msg_avp_hdr(child, &h) && h->avp_code == 298 && h->avp_value) {
			*out = h->avp_value->u32;
			return 0;
		}
		if (fd_msg_browse(child, MSG_BRW_NEXT, &child, NULL))
			return -1;
	}
	return -1;
}

static void answer_cb(void *data, struct msg **msg)
{
	struct avp *er = NULL;
	uint32_t v;

	pthread_mutex_lock(&mtx);
	if (u32_of(*msg, d_equipment_status, &v) == 0)
		snprintf(answer, sizeof(answer), "%u", v);
	else if (fd_msg_search_avp(*msg, d_exp_result, &er) == 0 && er && exp_code(er, &v) == 0)
		snprintf(answer, sizeof(answer), "E%u", v);
	else if (u32_of(*msg, d_result_code, &v) == 0)
		snprintf(answer, sizeof(answer), "R%u", v);
	else
		snprintf(answer, sizeof(answer), "?");
	answered = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&mtx);
	fd_msg_free(*msg);
	*msg = NULL;
}

static int send_ecr(const char *peer, const char *imei, const char *sv, const char *imsi, unsigned n)
{
	struct msg *m;
	struct avp *ti, *vs;
	char sid[256];
	struct timespec ts;
	int rc = 0;

	CHECK(fd_msg_new(cmd_ecr, MSGFL_ALLOC_ETEID, &m));
	snprintf(sid, sizeof(sid), "%.*s;%ld;%u", (int)fd_g_config->cnf_diamid_len, fd_g_config->cnf_diamid,
		 (long)getpid(), n);
	add_str(m, d_session_id, sid);
	CHECK(fd_msg_avp_new(d_vsai, 0, &vs));
	add_u32(vs, d_vendor_id, V3GPP);
	add_u32(vs, d_auth_app_id, S13_APP);
	CHECK(fd_msg_avp_add(m, MSG_BRW_LAST_CHILD, vs));
	add_u32(m, d_auth_session_state, 1);
	CHECK(fd_msg_add_origin(m, 0));
	add_str(m, d_dest_host, peer);
	add_str(m, d_dest_realm, strchr(peer, '.') ? strchr(peer, '.') + 1 : peer);
	CHECK(fd_msg_avp_new(d_terminal_info, 0, &ti));
	add_str(ti, d_imei, imei);
	if (strcmp(sv, "-"))
		add_str(ti, d_sv, sv);
	CHECK(fd_msg_avp_add(m, MSG_BRW_LAST_CHILD, ti));
	if (strcmp(imsi, "-"))
		add_str(m, d_user_name, imsi);

	pthread_mutex_lock(&mtx);
	answered = 0;
	CHECK(fd_msg_send(&m, answer_cb, NULL));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	while (!answered && rc == 0)
		rc = pthread_cond_timedwait(&cond, &mtx, &ts);
	if (!answered)
		snprintf(answer, sizeof(answer), "timeout");
	pthread_mutex_unlock(&mtx);
	return answered ? 0 : -1;
}

static int peer_state(const char *peer)
{
	struct peer_hdr *p = NULL;

	if (fd_peer_getbyid((DiamId_t)peer, strlen(peer), 1, &p) || !p)
		return -1;
	return fd_peer_get_state(p);
}

int main(int argc, char **argv)
{
	char imei[64], sv[16], imsi[32];
	unsigned n = 0, hold = argc > 4 ? (unsigned)atoi(argv[4]) : 0;
	int ex = 0;
	FILE *q;

	if (argc < 4) {
		fprintf(stderr, "usage: fd-mme CONF PEER QUERIES [HOLD]\n");
		return 2;
	}
	fd_g_debug_lvl = FD_LOG_ERROR;
	CHECK(fd_core_initialize());
	CHECK(fd_core_parseconf(argv[1]));
	dict_setup();
	CHECK(fd_core_start());
	CHECK(fd_core_waitstartcomplete());

	for (int i = 0; i < 100 && peer_state(argv[2]) != STATE_OPEN; i++)
		usleep(100000);
	if (peer_state(argv[2]) != STATE_OPEN) {
		printf("peer %s not open\n", argv[2]);
		ex = 3;
		goto out;
	}
	q = fopen(argv[3], "r");
	if (!q) {
		perror(argv[3]);
		ex = 1;
		goto out;
	}
	while (fscanf(q, "%63s %15s %31s", imei, sv, imsi) == 3) {
		if (send_ecr(argv[2], imei, sv, imsi, n++))
			ex = 1;
		printf("%s %s %s\n", imei, imsi, answer);
		fflush(stdout);
	}
	fclose(q);
	if (hold) {
		sleep(hold);
		printf("%s\n", peer_state(argv[2]) == STATE_OPEN ? "open" : "closed");
	}
out:
	fflush(stdout);
	fd_core_shutdown();
	fd_core_wait_shutdown_complete();
	return ex;
}
