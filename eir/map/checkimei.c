/* checkimei: MAP CheckIMEI, EIR side (see checkimei.h). One TCAP Begin in,
 * one End (or Abort) out; docs/protocols.md §3 has the encodings. */
#include <string.h>

#include "checkimei.h"
#include "imei.h"
#include "record.h"
#include "tcap.h"

#define OP_CHECK_IMEI 43
#define ERR_UNKNOWN_EQUIPMENT 7
#define ERR_SYSTEM_FAILURE 34
#define ERR_DATA_MISSING 35
#define NETWORK_RESOURCE_EIR 6

#define PROB_UNRECOGNIZED_OPERATION (TCAP_PROB_INVOKE << 8 | 1)
#define PROB_MISTYPED_ARGUMENT (TCAP_PROB_INVOKE << 8 | 2)
#define PROB_UNRECOGNIZED_LINKED_ID (TCAP_PROB_INVOKE << 8 | 5)
#define PROB_RESULT_UNRECOGNIZED_INVOCATION (TCAP_PROB_RESULT << 8 | 0)
#define PROB_ERROR_UNRECOGNIZED_INVOCATION (TCAP_PROB_ERROR << 8 | 0)
#define PROB_BADLY_STRUCTURED (TCAP_PROB_GENERAL << 8 | 2)

/* equipmentMngtContext: map-ac equipmentMngt(13) version(v), 0.4.0.0.1.0.13.v */
static const uint8_t ac_prefix[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x0d };
#define AC_LEN (sizeof(ac_prefix) + 1)

/* RequestedEquipmentInfo bits (first content octet after the unused-bit count). */
#define REI_EQUIPMENT_STATUS 0x80
#define REI_BMUEF 0x40

struct arg {
	const uint8_t *imei;		/* 8 TBCD octets */
	const uint8_t *imsi;		/* TBCD, vendor variants only */
	size_t imsi_len;
	bool has_rei;
	uint8_t rei;
};

static void count(const struct map_eir *eir, enum map_event ev)
{
	if (eir->count)
		eir->count(eir->ctx, ev);
}

static int ac_version(const uint8_t *ac, size_t len)
{
	if (len != AC_LEN || memcmp(ac, ac_prefix, sizeof(ac_prefix)) != 0)
		return 0;
	return ac[AC_LEN - 1];
}

/* CheckIMEI-Arg (v3, and Ericsson's EnhancedCheckIMEI-Arg): imei,
 * requestedEquipmentInfo, extensionContainer, [PRIVATE 1] imsi, ... */
static int decode_arg_seq(const struct ber_tlv *seq, struct arg *a)
{
	struct ber_iter it;
	struct ber_tlv t;
	int rc;

	ber_iter_init(&it, seq->val, seq->len);
	while ((rc = ber_next(&it, &t)) > 0) {
		if (t.id == 0x04 && !a->imei) {
			if (t.len != 8)
				return -1;
			a->imei = t.val;
		} else if (t.id == 0x03 && !a->has_rei) {
			/* BIT STRING SIZE(2..8): unused-bit count, one octet of bits */
			if (t.len != 2 || t.val[0] > 6)
				return -1;
			a->has_rei = true;
			a->rei = t.val[1];
		} else if (t.id == 0xc1) {
			a->imsi = t.val;
			a->imsi_len = t.len;
		}
		/* extensionContainer, locationInformation, extensions: ignored */
	}
	return rc < 0 || !a->imei ? -1 : 0;
}

/* The invoke's argument: IMEI (v1/v2: 04 08 ..., maybe followed by Huawei's
 * IMSI element of tag 0x00) or a SEQUENCE (v3 / Ericsson). */
static int decode_arg(const struct tcap_component *c, struct arg *a)
{
	struct ber_iter it;
	struct ber_tlv t;

	memset(a, 0, sizeof(*a));
	ber_iter_init(&it, c->args, c->args_len);
	if (ber_next(&it, &t) <= 0)
		return -1;
	if (t.id == 0x30)
		return decode_arg_seq(&t, a);
	if (t.id != 0x04 || t.len != 8)
		return -1;
	a->imei = t.val;
	if (ber_next(&it, &t) > 0 && t.id == 0x00) {
		a->imsi = t.val;
		a->imsi_len = t.len;
	}
	return 0;
}

static void query_from_arg(const struct map_eir *eir, const struct arg *a, struct eir_query *q)
{
	char digits[17];
	int n;

	memset(q, 0, sizeof(*q));
	q->imei_err = eir_imei_parse_tbcd(a->imei, 8, eir->imei_flags, &q->imei);
	if (a->imsi && a->imsi_len <= 8) {
		n = eir_tbcd_decode(a->imsi, a->imsi_len, digits, sizeof(digits));
		if (n > 0 && eir_imsi_parse(digits, (size_t)n, &q->imsi) != 0)
			q->imsi = 0;
	}
}

/* Answer one checkIMEI invoke into the component writer. */
/* EquipmentStatus ENUMERATED (TS 29.002 17.7.1; docs/protocols.md §3):
 * by verdict, never by the enum's order. EIR_UNKNOWN is a ReturnError. */
static const uint8_t equipment_status[EIR_VERDICT_COUNT] = {
	[EIR_WHITELISTED] = 0,
	[EIR_BLACKLISTED] = 1,
	[EIR_GREYLISTED] = 2,
};

static void answer_check_imei(const struct map_eir *eir, int version, const struct tcap_component *c,
			      struct ber_w *cw)
{
	static const uint8_t sf_v2[] = { 0x0a, 0x01, NETWORK_RESOURCE_EIR };
	static const uint8_t sf_v3[] = { 0x30, 0x03, 0x0a, 0x01, NETWORK_RESOURCE_EIR };
	struct eir_query q;
	struct eir_result res;
	struct arg a;
	uint8_t result[8];
	size_t rlen = 0;
	bool want_status = true;

	count(eir, version == 1 ? MAP_EV_RX_V1 : version == 2 ? MAP_EV_RX_V2 : MAP_EV_RX_V3);
	if (decode_arg(c, &a) < 0) {
		count(eir, MAP_EV_ERR_ARGUMENT);
		count(eir, MAP_EV_TX_REJECT);
		tcap_enc_reject(cw, true, c->invoke_id, PROB_MISTYPED_ARGUMENT);
		return;
	}
	query_from_arg(eir, &a, &q);
	if (version >= 3 && a.has_rei) {
		want_status = a.rei & REI_EQUIPMENT_STATUS;
		/* BMUEF needs the IMEISV (29.002 8.7.1): a context-required element. */
		if ((a.rei & REI_BMUEF) && !q.imei_err && q.imei.svn < 0) {
			count(eir, MAP_EV_TX_DATA_MISSING);
			tcap_enc_error(cw, c->invoke_id, ERR_DATA_MISSING, NULL, 0);
			return;
		}
	}
	eir->check(eir->ctx, &q, &res);
	if (res.verdict == EIR_UNKNOWN) {
		if (res.branch == EIR_BR_FAILURE) {
			count(eir, MAP_EV_TX_SYSTEM_FAILURE);
			if (version >= 3)
				tcap_enc_error(cw, c->invoke_id, ERR_SYSTEM_FAILURE, sf_v3, sizeof(sf_v3));
			else
				tcap_enc_error(cw, c->invoke_id, ERR_SYSTEM_FAILURE, sf_v2, sizeof(sf_v2));
		} else {
			count(eir, MAP_EV_TX_UNKNOWN_EQUIPMENT);
			tcap_enc_error(cw, c->invoke_id, ERR_UNKNOWN_EQUIPMENT, NULL, 0);
		}
		return;
	}
	count(eir, res.verdict == EIR_WHITELISTED ? MAP_EV_TX_WHITE :
		   res.verdict == EIR_BLACKLISTED ? MAP_EV_TX_BLACK : MAP_EV_TX_GREY);
	if (version >= 3) {
		result[rlen++] = 0x30;
		result[rlen++] = want_status ? 3 : 0;
	}
	if (want_status) {
		result[rlen++] = 0x0a;
		result[rlen++] = 0x01;
		result[rlen++] = equipment_status[res.verdict];
	}
	tcap_enc_result(cw, c->invoke_id, OP_CHECK_IMEI, result, rlen);
}

static void answer_component(const struct map_eir *eir, int version, const struct tcap_component *c,
			     struct ber_w *cw)
{
	int problem = c->error;

	if (!problem) {
		switch (c->type) {
		case TCAP_INVOKE:
			if (c->has_linked_id)
				problem = PROB_UNRECOGNIZED_LINKED_ID;
			else if (c->op_global || c->opcode != OP_CHECK_IMEI)
				problem = PROB_UNRECOGNIZED_OPERATION;
			break;
		case TCAP_RESULT_LAST:
		case TCAP_RESULT_NOT_LAST:
			problem = PROB_RESULT_UNRECOGNIZED_INVOCATION;
			break;
		case TCAP_RETURN_ERROR:
			problem = PROB_ERROR_UNRECOGNIZED_INVOCATION;
			break;
		case TCAP_REJECT:
			return;		/* never reject a Reject */
		}
	}
	if (!problem) {
		answer_check_imei(eir, version, c, cw);
		return;
	}
	count(eir, problem == PROB_UNRECOGNIZED_OPERATION ? MAP_EV_ERR_OPERATION : MAP_EV_ERR_COMPONENT);
	count(eir, MAP_EV_TX_REJECT);
	tcap_enc_reject(cw, c->has_invoke_id, c->invoke_id, problem);
}

long map_eir_handle(const struct map_eir *eir, const uint8_t *in, size_t len, uint8_t *out,
		    size_t cap)
{
	struct tcap_msg m;
	enum tcap_p_abort cause;
	struct ber_w w, cw;
	uint8_t comps[MAP_MAX_ANSWER], ac[AC_LEN];
	int version = 1;
	long clen;

	ber_w_init(&w, out, cap);
	if (tcap_decode(in, len, &m, &cause) < 0) {
		count(eir, MAP_EV_ERR_TRANSACTION);
		/* Without an originating transaction id there is no one to tell. */
		if (!m.otid_len || m.type == TCAP_END || m.type == TCAP_ABORT || m.type == TCAP_UNI) {
			count(eir, MAP_EV_DISCARDED);
			return 0;
		}
		count(eir, MAP_EV_TX_P_ABORT);
		tcap_enc_p_abort(&w, m.otid, m.otid_len, cause);
		return ber_w_done(&w);
	}
	if (m.type == TCAP_CONTINUE) {
		/* We never open transactions: whatever it continues is unknown. */
		count(eir, MAP_EV_ERR_TRANSACTION);
		count(eir, MAP_EV_TX_P_ABORT);
		tcap_enc_p_abort(&w, m.otid, m.otid_len, TCAP_PA_UNRECOGNIZED_TID);
		return ber_w_done(&w);
	}
	if (m.type != TCAP_BEGIN) {
		count(eir, MAP_EV_DISCARDED);
		return 0;
	}
	count(eir, MAP_EV_RX_BEGIN);
	memcpy(ac, ac_prefix, sizeof(ac_prefix));
	ac[AC_LEN - 1] = (uint8_t)eir->max_version;
	if (m.dialogue == TCAP_DLG_BAD_VERSION) {
		count(eir, MAP_EV_ERR_DIALOGUE);
		count(eir, MAP_EV_TX_AC_REFUSED);
		tcap_enc_refuse(&w, m.otid, m.otid_len, m.ac, m.ac_len, true, 2 /* no-common-dialogue-portion */);
		return ber_w_done(&w);
	}
	if (m.dialogue == TCAP_DLG_AARQ) {
		version = ac_version(m.ac, m.ac_len);
		/* v1 is negotiated by leaving the dialogue portion out; an explicit
		 * v1 AC, an unknown AC or a version above ours is refused with the
		 * highest version we accept, so that the MSC retries with it. */
		if (version < 2 || version > eir->max_version) {
			count(eir, MAP_EV_ERR_DIALOGUE);
			count(eir, MAP_EV_TX_AC_REFUSED);
			tcap_enc_refuse(&w, m.otid, m.otid_len, ac, AC_LEN, false, 2 /* acn-not-supported */);
			return ber_w_done(&w);
		}
		ac[AC_LEN - 1] = (uint8_t)version;
	}
	ber_w_init(&cw, comps, sizeof(comps));
	if (m.components_bad) {
		count(eir, MAP_EV_ERR_COMPONENT);
		count(eir, MAP_EV_TX_REJECT);
		tcap_enc_reject(&cw, false, 0, PROB_BADLY_STRUCTURED);
	}
	for (unsigned i = 0; i < m.n_comp; i++)
		answer_component(eir, version, &m.comp[i], &cw);
	clen = ber_w_done(&cw);
	if (clen < 0)
		return -1;
	tcap_enc_end(&w, m.otid, m.otid_len, m.dialogue == TCAP_DLG_AARQ ? ac : NULL, AC_LEN, comps,
		     (size_t)clen);
	return ber_w_done(&w);
}
