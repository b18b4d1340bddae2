/* The S13 application on freeDiameter, shared by the test MME (fd-mme)
 * and the benchmark's baseline EIR (fd-eir): dictionary objects and AVP
 * helpers. Header-only: each tool is one file plus this. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

#define S13_APP 16777252
#define V3GPP 10415

static struct dict_object *app, *cmd_ecr, *vendor;
static struct dict_object *d_session_id, *d_auth_session_state, *d_dest_realm, *d_dest_host, *d_user_name,
	*d_result_code, *d_exp_result, *d_exp_result_code, *d_vsai, *d_vendor_id, *d_auth_app_id,
	*d_terminal_info, *d_imei, *d_sv, *d_equipment_status;


#define CHECK(x) do { int r_ = (x); if (r_) { fprintf(stderr, "%s: %s\n", #x, strerror(r_)); exit(1); } } while (0)

static inline struct dict_object *base_avp(const char *name)
{
	struct dict_object *o = NULL;
	CHECK(fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_NAME, name, &o, ENOENT));
	return o;
}

static inline struct dict_object *avp_3gpp(const char *name)
{
	struct dict_avp_request req = { .avp_vendor = V3GPP, .avp_name = (char *)name };
	struct dict_object *o = NULL;
	CHECK(fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_NAME_AND_VENDOR, &req, &o, ENOENT));
	return o;
}

/* S13 application and ME-Identity-Check, unless a dictionary has them. */
static inline void dict_setup(void)
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

static inline void add_str(msg_or_avp *parent, struct dict_object *model, const char *s)
{
	struct avp *a;
	union avp_value v = { .os = { .data = (uint8_t *)s, .len = strlen(s) } };
	CHECK(fd_msg_avp_new(model, 0, &a));
	CHECK(fd_msg_avp_setvalue(a, &v));
	CHECK(fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a));
}

static inline void add_u32(msg_or_avp *parent, struct dict_object *model, uint32_t u)
{
	struct avp *a;
	union avp_value v = { .u32 = u };
	CHECK(fd_msg_avp_new(model, 0, &a));
	CHECK(fd_msg_avp_setvalue(a, &v));
	CHECK(fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a));
}

static inline int u32_of(msg_or_avp *parent, struct dict_object *model, uint32_t *out)
{
	struct avp *a = NULL;
	struct avp_hdr *h;

	if (fd_msg_search_avp(parent, model, &a) || !a || fd_msg_avp_hdr(a, &h) || !h->avp_value)
		return -1;
	*out = h->avp_value->u32;
	return 0;
}

