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

#define S13_APP 16777252
#define V3GPP 10415

static struct dict_object *app, *cmd_ecr, *vendor;
static struct dict_object *d_session_id, *d_auth_session_state, *d_dest_realm, *d_dest_host, *d_user_name,
	*d_result_code, *d_exp_result, *d_exp_result_code, *d_vsai, *d_vendor_id, *d_auth_app_id,
	*d_terminal_info, *d_imei, *d_sv, *d_equipment_status;

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char answer[64];
static int answered;

#define CHECK(x) do { int r_ = (x); if (r_) { fprintf(stderr, "fd-mme: %s: %s\n", #x, strerror(r_)); exit(1); } } while (0)

static struct dict_object *base_avp(const char *name)
{
	struct dict_object *o = NULL;
	CHECK(fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_NAME, name, &o, ENOENT));
	return o;
}

static struct dict_object *avp_3gpp(const char *name)
{
	struct dict_avp_request req = { .avp_vendor = V3GPP, .avp_name = (char *)name };
	struct dict_object *o = NULL;
	CHECK(fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_NAME_AND_VENDOR, &req, &o, ENOENT));
	return o;
}

/* S13 application and ME-Identity-Check, unless a dictionary has them. */
static void dict_setup(void)
{
	struct dictionary *d = fd_g_config->cnf_dict;
	application_id_t id = S13_APP;
	vendor_id_t vid = V3GPP;

	CHECK(fd_dict_search(d, DICT_VENDOR, VENDOR_BY_ID, &vid, &vendor, ENOENT));
	if (fd_dict_search(d, DICT_APPLICATION, APPLICATION_BY_ID, &id, &app, ENOENT)) {
		struct dict_application_data ad = { S13_APP, "3GPP S13" };
		CHECK(fd_dict_new(d, DICT_APPLICATION, &ad, vendor, &app));
	}
	if (fd_dict_search(d, DICT_COMMAND, CMD_BY_NAME, "ME-Identity-Check-Request", &cmd_ecr, ENOENT)) {
		struct dict_cmd_data rq = { 324, "ME-Identity-Check-Request",
					    CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE | CMD_FLAG_ERROR,
					    CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE };
		struct dict_cmd_data an = { 324, "ME-Identity-Check-Answer",
					    CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE, CMD_FLAG_PROXIABLE };
		CHECK(fd_dict_new(d, DICT_COMMAND, &rq, app, &cmd_ecr));
		CHECK(fd_dict_new(d, DICT_COMMAND, &an, app, NULL));
	}
	d_session_id = base_avp("Session-Id");
	d_auth_session_state = base_avp("Auth-Session-State");
	d_dest_realm = base_avp("Destination-Realm");
	d_dest_host = base_avp("Destination-Host");
	d_user_name = base_avp("User-Name");
	d_result_code = base_avp("Result-Code");
	d_exp_result = base_avp("Experimental-Result");
	d_exp_result_code = base_avp("Experimental-Result-Code");
	d_vsai = base_avp("Vendor-Specific-Application-Id");
	d_vendor_id = base_avp("Vendor-Id");
	d_auth_app_id = base_avp("Auth-Application-Id");
	d_terminal_info = avp_3gpp("Terminal-Information");
	d_imei = avp_3gpp("IMEI");
	d_sv = avp_3gpp("Software-Version");
	d_equipment_status = avp_3gpp("Equipment-Status");
	CHECK(fd_disp_app_support(app, vendor, 1, 0));
}

static void add_str(msg_or_avp *parent, struct dict_object *model, const char *s)
{
	struct avp *a;
	union avp_value v = { .os = { .data = (uint8_t *)s, .len = strlen(s) } };
	CHECK(fd_msg_avp_new(model, 0, &a));
	CHECK(fd_msg_avp_setvalue(a, &v));
	CHECK(fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a));
}

static void add_u32(msg_or_avp *parent, struct dict_object *model, uint32_t u)
{
	struct avp *a;
	union avp_value v = { .u32 = u };
	CHECK(fd_msg_avp_new(model, 0, &a));
	CHECK(fd_msg_avp_setvalue(a, &v));
	CHECK(fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a));
}

static int u32_of(msg_or_avp *parent, struct dict_object *model, uint32_t *out)
{
	struct avp *a = NULL;
	struct avp_hdr *h;

	if (fd_msg_search_avp(parent, model, &a) || !a || fd_msg_avp_hdr(a, &h) || !h->avp_value)
		return -1;
	*out = h->avp_value->u32;
	return 0;
}

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
