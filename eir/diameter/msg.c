/* Diameter messages of an S13 EIR (msg.h): one table of allowed AVPs per
 * command drives the checks, so every malformed request gets the answer
 * RFC 6733 §7 prescribes. */
#include <string.h>

#include "msg.h"

#define MANY 0xff
#define M DIAM_AVP_M
#define MV (DIAM_AVP_M | DIAM_AVP_V)

struct avp_rule {
	uint32_t code, vendor;
	uint8_t min, max;
};

static const struct avp_rule ecr_rules[] = {
	{ AVP_SESSION_ID, 0, 1, 1 },
	{ AVP_DRMP, 0, 0, 1 },
	{ AVP_VSAI, 0, 0, 1 },
	{ AVP_AUTH_SESSION_STATE, 0, 1, 1 },
	{ AVP_ORIGIN_HOST, 0, 1, 1 },
	{ AVP_ORIGIN_REALM, 0, 1, 1 },
	{ AVP_DESTINATION_HOST, 0, 0, 1 },
	{ AVP_DESTINATION_REALM, 0, 1, 1 },
	{ AVP_TERMINAL_INFORMATION, DIAM_VENDOR_3GPP, 1, 1 },
	{ AVP_USER_NAME, 0, 0, 1 },
	{ AVP_PROXY_INFO, 0, 0, MANY },
	{ AVP_ROUTE_RECORD, 0, 0, MANY },
};

static const struct avp_rule terminal_rules[] = {
	{ AVP_IMEI, DIAM_VENDOR_3GPP, 0, 1 },
	{ AVP_3GPP2_MEID, DIAM_VENDOR_3GPP, 0, 1 },
	{ AVP_SOFTWARE_VERSION, DIAM_VENDOR_3GPP, 0, 1 },
};

static const struct avp_rule cer_rules[] = {
	{ AVP_ORIGIN_HOST, 0, 1, 1 },
	{ AVP_ORIGIN_REALM, 0, 1, 1 },
	{ AVP_HOST_IP_ADDRESS, 0, 1, MANY },
	{ AVP_VENDOR_ID, 0, 1, 1 },
	{ AVP_PRODUCT_NAME, 0, 1, 1 },
	{ AVP_ORIGIN_STATE_ID, 0, 0, 1 },
	{ AVP_SUPPORTED_VENDOR_ID, 0, 0, MANY },
	{ AVP_AUTH_APP_ID, 0, 0, MANY },
	{ AVP_INBAND_SECURITY_ID, 0, 0, MANY },
	{ AVP_ACCT_APP_ID, 0, 0, MANY },
	{ AVP_VSAI, 0, 0, MANY },
	{ AVP_FIRMWARE_REVISION, 0, 0, 1 },
};

static const struct avp_rule dwr_rules[] = {
	{ AVP_ORIGIN_HOST, 0, 1, 1 },
	{ AVP_ORIGIN_REALM, 0, 1, 1 },
	{ AVP_ORIGIN_STATE_ID, 0, 0, 1 },
};

static const struct avp_rule dpr_rules[] = {
	{ AVP_ORIGIN_HOST, 0, 1, 1 },
	{ AVP_ORIGIN_REALM, 0, 1, 1 },
	{ AVP_DISCONNECT_CAUSE, 0, 1, 1 },
};

#define NRULES(r) (sizeof(r) / sizeof((r)[0]))
#define MAX_RULES 12

static int fault(struct diam_fault *f, uint32_t result, const struct diam_avp *avp, const char *text)
{
	memset(f, 0, sizeof(*f));
	f->result = result;
	if (avp) {
		f->avp = avp->raw;
		f->avp_len = avp->raw_len;
	}
	f->text = text;
	return -1;
}

static int missing(struct diam_fault *f, uint32_t code, uint32_t vendor, const char *text)
{
	fault(f, DIAM_MISSING_AVP, NULL, text);
	f->missing_code = code;
	f->missing_vendor = vendor;
	return -1;
}

/* Walk the AVPs of it against rules; found[i] is the first occurrence of
 * rule i. Unknown AVPs without the M bit are ignored (RFC 6733 4.1). */
static int check_avps(struct diam_iter *it, const struct avp_rule *rules, size_t n,
		      struct diam_avp *found, struct diam_fault *f)
{
	uint8_t count[MAX_RULES] = { 0 };
	struct diam_avp avp;
	int rc;

	while ((rc = diam_iter_next(it, &avp)) == 1) {
		size_t i;
		for (i = 0; i < n; i++) {
			if (rules[i].code == avp.code && rules[i].vendor == avp.vendor)
				break;
		}
		if (i == n) {
			if (avp.flags & DIAM_AVP_M)
				return fault(f, DIAM_AVP_UNSUPPORTED, &avp, "unsupported AVP with the M bit");
			continue;
		}
		if (count[i] == rules[i].max)
			return fault(f, DIAM_AVP_OCCURS_TOO_MANY_TIMES, &avp, "AVP occurs too many times");
		if (!count[i]++)
			found[i] = avp;
	}
	if (rc < 0)
		return fault(f, DIAM_INVALID_AVP_LENGTH, &avp, "AVP length does not fit");
	for (size_t i = 0; i < n; i++) {
		if (rules[i].min && !count[i])
			return missing(f, rules[i].code, rules[i].vendor, "mandatory AVP missing");
	}
	return 0;
}

static struct diam_str str_of(const struct diam_avp *avp)
{
	return (struct diam_str){ .p = avp->data, .n = avp->len };
}

static int u32_of(const struct diam_avp *avp, uint32_t *v, struct diam_fault *f)
{
	if (diam_avp_u32(avp, v))
		return fault(f, DIAM_INVALID_AVP_LENGTH, avp, "Unsigned32 AVP is not 4 octets");
	return 0;
}

/* DiameterIdentity and Session-Id may not be empty. */
static int nonempty(const struct diam_avp *avp, struct diam_fault *f)
{
	if (!avp->len)
		return fault(f, DIAM_INVALID_AVP_VALUE, avp, "empty identity");
	return 0;
}

int diam_check_header(const struct diam_hdr *h, struct diam_fault *f)
{
	if ((h->flags & DIAM_FLAG_R) && (h->flags & DIAM_FLAG_E))
		return fault(f, DIAM_INVALID_HDR_BITS, NULL, "E bit set in a request");
	return 0;
}

int diam_cer_decode(const uint8_t *msg, size_t len, struct diam_cer *cer, struct diam_fault *f)
{
	struct diam_avp found[NRULES(cer_rules)], avp;
	struct diam_iter it;
	uint32_t v;

	memset(cer, 0, sizeof(*cer));
	memset(found, 0, sizeof(found));
	diam_iter_msg(&it, msg, len);
	if (check_avps(&it, cer_rules, NRULES(cer_rules), found, f))
		return -1;
	if (nonempty(&found[0], f) || nonempty(&found[1], f) || u32_of(&found[3], &cer->vendor_id, f))
		return -1;
	cer->origin_host = str_of(&found[0]);
	cer->origin_realm = str_of(&found[1]);
	cer->product_name = str_of(&found[4]);
	if (found[5].raw) {
		if (u32_of(&found[5], &cer->origin_state_id, f))
			return -1;
		cer->has_origin_state_id = true;
	}
	/* Applications: Auth-/Acct-Application-Id and those inside
	 * Vendor-Specific-Application-Id (its Vendor-Id is not matched). */
	diam_iter_msg(&it, msg, len);
	while (diam_iter_next(&it, &avp) == 1) {
		if (avp.vendor)
			continue;
		if (avp.code == AVP_HOST_IP_ADDRESS) {
			if (avp.len < 2)
				return fault(f, DIAM_INVALID_AVP_LENGTH, &avp, "Host-IP-Address too short");
			cer->n_host_ip++;
		} else if (avp.code == AVP_AUTH_APP_ID || avp.code == AVP_ACCT_APP_ID) {
			if (u32_of(&avp, &v, f))
				return -1;
			cer->s13 |= v == DIAM_APP_S13;
			cer->relay |= v == DIAM_APP_RELAY;
		} else if (avp.code == AVP_VSAI) {
			struct diam_iter g;
			struct diam_avp in;
			int rc;
			diam_iter_group(&g, &avp);
			while ((rc = diam_iter_next(&g, &in)) == 1) {
				if (in.vendor || (in.code != AVP_AUTH_APP_ID && in.code != AVP_ACCT_APP_ID))
					continue;
				if (u32_of(&in, &v, f))
					return -1;
				cer->s13 |= v == DIAM_APP_S13;
				cer->relay |= v == DIAM_APP_RELAY;
			}
			if (rc < 0)
				return fault(f, DIAM_INVALID_AVP_LENGTH, &in, "AVP length does not fit");
		}
	}
	return 0;
}

int diam_peer_req_decode(const uint8_t *msg, size_t len, struct diam_peer_req *r, struct diam_fault *f)
{
	struct diam_hdr h;
	struct diam_avp found[3];
	struct diam_iter it;
	bool dpr;

	diam_hdr_parse(msg, &h);
	dpr = h.code == DIAM_CMD_DP;
	memset(r, 0, sizeof(*r));
	memset(found, 0, sizeof(found));
	diam_iter_msg(&it, msg, len);
	if (check_avps(&it, dpr ? dpr_rules : dwr_rules, 3, found, f))
		return -1;
	if (nonempty(&found[0], f) || nonempty(&found[1], f))
		return -1;
	r->origin_host = str_of(&found[0]);
	r->origin_realm = str_of(&found[1]);
	if (dpr && u32_of(&found[2], &r->disconnect_cause, f))
		return -1;
	if (!dpr && found[2].raw) {
		uint32_t v;
		if (u32_of(&found[2], &v, f))
			return -1;
	}
	return 0;
}

int s13_ecr_decode(const uint8_t *msg, size_t len, struct s13_ecr *r, struct diam_fault *f)
{
	struct diam_avp found[NRULES(ecr_rules)], tf[NRULES(terminal_rules)];
	struct diam_iter it;

	memset(r, 0, sizeof(*r));
	memset(found, 0, sizeof(found));
	memset(tf, 0, sizeof(tf));
	diam_iter_msg(&it, msg, len);
	if (check_avps(&it, ecr_rules, NRULES(ecr_rules), found, f))
		return -1;
	if (nonempty(&found[0], f) || nonempty(&found[4], f) || nonempty(&found[5], f) ||
	    nonempty(&found[7], f))
		return -1;
	r->session_id = str_of(&found[0]);
	r->origin_host = str_of(&found[4]);
	r->origin_realm = str_of(&found[5]);
	r->dest_realm = str_of(&found[7]);
	if (found[6].raw) {
		r->dest_host = str_of(&found[6]);
		r->has_dest_host = true;
	}
	if (u32_of(&found[3], &r->auth_session_state, f))
		return -1;
	if (r->auth_session_state > 1)
		return fault(f, DIAM_INVALID_AVP_VALUE, &found[3], "Auth-Session-State is not 0 or 1");
	if (found[9].raw) {
		r->user_name = str_of(&found[9]);
		r->has_user_name = true;
	}
	diam_iter_group(&it, &found[8]);
	if (check_avps(&it, terminal_rules, NRULES(terminal_rules), tf, f))
		return -1;
	if (!tf[0].raw)
		return missing(f, AVP_IMEI, DIAM_VENDOR_3GPP, "Terminal-Information without IMEI");
	r->imei = str_of(&tf[0]);
	r->has_imei = true;
	if (tf[2].raw) {
		r->software_version = str_of(&tf[2]);
		r->has_software_version = true;
	}
	return 0;
}

struct diam_str diam_session_id(const uint8_t *msg, size_t len)
{
	struct diam_iter it;
	struct diam_avp avp;

	diam_iter_msg(&it, msg, len);
	while (diam_iter_next(&it, &avp) == 1) {
		if (avp.code == AVP_SESSION_ID && !avp.vendor)
			return str_of(&avp);
	}
	return (struct diam_str){ 0 };
}

/* ------------------------------------------------------------------ encode */

static uint8_t answer_flags(const struct diam_hdr *req)
{
	return req->flags & DIAM_FLAG_P;
}

static void put_identity(struct diam_buf *b, const struct diam_self *self)
{
	diam_put_str(b, AVP_ORIGIN_HOST, M, 0, self->origin_host);
	diam_put_str(b, AVP_ORIGIN_REALM, M, 0, self->origin_realm);
}

static void put_s13_app(struct diam_buf *b)
{
	diam_group_begin(b, AVP_VSAI, M, 0);
	diam_put_u32(b, AVP_VENDOR_ID, M, 0, DIAM_VENDOR_3GPP);
	diam_put_u32(b, AVP_AUTH_APP_ID, M, 0, DIAM_APP_S13);
	diam_group_end(b);
}

long diam_cea_encode(struct diam_buf *b, const struct diam_hdr *req, const struct diam_self *self,
		     uint32_t result, const char *error_message)
{
	diam_msg_begin(b, answer_flags(req), DIAM_CMD_CE, DIAM_APP_BASE, req->hbh, req->e2e);
	diam_put_u32(b, AVP_RESULT_CODE, M, 0, result);
	put_identity(b, self);
	for (unsigned i = 0; i < self->n_ipv4; i++)
		diam_put_addr(b, AVP_HOST_IP_ADDRESS, M, DIAM_AF_IPV4, self->ipv4[i], 4);
	for (unsigned i = 0; i < self->n_ipv6; i++)
		diam_put_addr(b, AVP_HOST_IP_ADDRESS, M, DIAM_AF_IPV6, self->ipv6[i], 16);
	diam_put_u32(b, AVP_VENDOR_ID, M, 0, self->vendor_id);
	diam_put_str(b, AVP_PRODUCT_NAME, 0, 0, self->product_name);
	if (self->origin_state_id)
		diam_put_u32(b, AVP_ORIGIN_STATE_ID, M, 0, self->origin_state_id);
	if (error_message)
		diam_put_str(b, AVP_ERROR_MESSAGE, 0, 0, error_message);
	diam_put_u32(b, AVP_SUPPORTED_VENDOR_ID, M, 0, DIAM_VENDOR_3GPP);
	put_s13_app(b);
	if (self->firmware_revision)
		diam_put_u32(b, AVP_FIRMWARE_REVISION, 0, 0, self->firmware_revision);
	return diam_msg_end(b);
}

long diam_dwa_encode(struct diam_buf *b, const struct diam_hdr *req, const struct diam_self *self)
{
	diam_msg_begin(b, answer_flags(req), DIAM_CMD_DW, DIAM_APP_BASE, req->hbh, req->e2e);
	diam_put_u32(b, AVP_RESULT_CODE, M, 0, DIAM_SUCCESS);
	put_identity(b, self);
	if (self->origin_state_id)
		diam_put_u32(b, AVP_ORIGIN_STATE_ID, M, 0, self->origin_state_id);
	return diam_msg_end(b);
}

long diam_dpa_encode(struct diam_buf *b, const struct diam_hdr *req, const struct diam_self *self)
{
	diam_msg_begin(b, answer_flags(req), DIAM_CMD_DP, DIAM_APP_BASE, req->hbh, req->e2e);
	diam_put_u32(b, AVP_RESULT_CODE, M, 0, DIAM_SUCCESS);
	put_identity(b, self);
	return diam_msg_end(b);
}

long diam_dwr_encode(struct diam_buf *b, const struct diam_self *self, uint32_t hbh, uint32_t e2e)
{
	diam_msg_begin(b, DIAM_FLAG_R, DIAM_CMD_DW, DIAM_APP_BASE, hbh, e2e);
	put_identity(b, self);
	if (self->origin_state_id)
		diam_put_u32(b, AVP_ORIGIN_STATE_ID, M, 0, self->origin_state_id);
	return diam_msg_end(b);
}

/* Failed-AVP: the offending AVP as received, or an example of the missing
 * one with a zeroed value of minimum length (RFC 6733 7.5). */
static void put_failed_avp(struct diam_buf *b, const struct diam_fault *f)
{
	static const uint8_t zero4[4];

	if (!f->avp && !f->missing_code)
		return;
	diam_group_begin(b, AVP_FAILED_AVP, M, 0);
	if (f->avp) {
		diam_put_raw(b, f->avp, f->avp_len);
	} else {
		bool u32 = f->missing_code == AVP_AUTH_SESSION_STATE || f->missing_code == AVP_VENDOR_ID ||
			   f->missing_code == AVP_DISCONNECT_CAUSE;
		diam_put_bytes(b, f->missing_code, f->missing_vendor ? MV : M, f->missing_vendor,
			       zero4, u32 ? 4 : 0);
	}
	diam_group_end(b);
}

long diam_error_encode(struct diam_buf *b, const struct diam_hdr *req, struct diam_str session_id,
		       const struct diam_self *self, const struct diam_fault *f)
{
	bool protocol = f->result >= 3000 && f->result < 4000;
	bool s13 = !protocol && req->app == DIAM_APP_S13 && req->code == DIAM_CMD_MEIC;

	diam_msg_begin(b, (uint8_t)(answer_flags(req) | (protocol ? DIAM_FLAG_E : 0)), req->code,
		       req->app, req->hbh, req->e2e);
	if (session_id.n)
		diam_put_bytes(b, AVP_SESSION_ID, M, 0, session_id.p, session_id.n);
	if (s13) {
		put_s13_app(b);
		diam_put_u32(b, AVP_RESULT_CODE, M, 0, f->result);
		diam_put_u32(b, AVP_AUTH_SESSION_STATE, M, 0, 1);
		put_identity(b, self);
	} else {
		put_identity(b, self);
		diam_put_u32(b, AVP_RESULT_CODE, M, 0, f->result);
	}
	if (f->text)
		diam_put_str(b, AVP_ERROR_MESSAGE, 0, 0, f->text);
	put_failed_avp(b, f);
	return diam_msg_end(b);
}

long s13_eca_encode(struct diam_buf *b, const struct diam_hdr *req, struct diam_str session_id,
		    const struct diam_self *self, int equipment_status)
{
	diam_msg_begin(b, answer_flags(req), DIAM_CMD_MEIC, DIAM_APP_S13, req->hbh, req->e2e);
	diam_put_bytes(b, AVP_SESSION_ID, M, 0, session_id.p, session_id.n);
	put_s13_app(b);
	if (equipment_status < 0) {
		diam_group_begin(b, AVP_EXPERIMENTAL_RESULT, M, 0);
		diam_put_u32(b, AVP_VENDOR_ID, M, 0, DIAM_VENDOR_3GPP);
		diam_put_u32(b, AVP_EXPERIMENTAL_RESULT_CODE, M, 0, DIAM_ERROR_EQUIPMENT_UNKNOWN);
		diam_group_end(b);
	} else {
		diam_put_u32(b, AVP_RESULT_CODE, M, 0, DIAM_SUCCESS);
	}
	diam_put_u32(b, AVP_AUTH_SESSION_STATE, M, 0, 1);
	put_identity(b, self);
	if (equipment_status >= 0)
		diam_put_u32(b, AVP_EQUIPMENT_STATUS, MV, DIAM_VENDOR_3GPP, (uint32_t)equipment_status);
	return diam_msg_end(b);
}

long s13_ecr_encode(struct diam_buf *b, const struct s13_ecr_params *p, uint32_t hbh, uint32_t e2e)
{
	diam_msg_begin(b, DIAM_FLAG_R | DIAM_FLAG_P, DIAM_CMD_MEIC, DIAM_APP_S13, hbh, e2e);
	diam_put_str(b, AVP_SESSION_ID, M, 0, p->session_id);
	put_s13_app(b);
	diam_put_u32(b, AVP_AUTH_SESSION_STATE, M, 0, 1);
	diam_put_str(b, AVP_ORIGIN_HOST, M, 0, p->origin_host);
	diam_put_str(b, AVP_ORIGIN_REALM, M, 0, p->origin_realm);
	diam_put_str(b, AVP_DESTINATION_REALM, M, 0, p->dest_realm);
	diam_group_begin(b, AVP_TERMINAL_INFORMATION, MV, DIAM_VENDOR_3GPP);
	if (p->imei)
		diam_put_str(b, AVP_IMEI, MV, DIAM_VENDOR_3GPP, p->imei);
	if (p->software_version)
		diam_put_str(b, AVP_SOFTWARE_VERSION, MV, DIAM_VENDOR_3GPP, p->software_version);
	diam_group_end(b);
	if (p->user_name)
		diam_put_str(b, AVP_USER_NAME, M, 0, p->user_name);
	return diam_msg_end(b);
}
