/* tcap: TCAP (Q.773) decode of received messages and encode of the EIR's
 * answers (see tcap.h). */
#include <string.h>

#include "tcap.h"

/* dialogue-as-id { itu-t recommendation q 773 as(1) dialogue-as(1) version1(1) } */
static const uint8_t dialogue_as_id[] = { 0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01 };
/* protocol-version BIT STRING { version1 (0) }: 7 unused bits, 0x80 */
static const uint8_t proto_version1[] = { 0x07, 0x80 };

static int get_tid(const struct ber_tlv *t, uint8_t *tid, uint8_t *tid_len)
{
	if (t->constructed || t->len < 1 || t->len > 4)
		return -1;
	memcpy(tid, t->val, t->len);
	*tid_len = (uint8_t)t->len;
	return 0;
}

/* AARQ-apdu ([APPLICATION 0]): protocol-version, application-context-name,
 * user-information (ignored, as are unknown optional fields). */
static int decode_aarq(const struct ber_tlv *aarq, struct tcap_msg *m)
{
	struct ber_iter it;
	struct ber_tlv t, oid;
	bool version1 = true;
	int rc;

	ber_iter_init(&it, aarq->val, aarq->len);
	while ((rc = ber_next(&it, &t)) > 0) {
		if (t.id == 0x80) {
			/* BIT STRING: unused-bit count, then the bits; version1 is bit 0. */
			if (t.len < 1 || t.val[0] > 7)
				return -1;
			version1 = t.len >= 2 && (t.val[1] & 0x80);
		} else if (t.id == 0xa1) {
			if (ber_read(t.val, t.len, &oid) < 0 || oid.id != 0x06 || oid.raw_len != t.len ||
			    oid.len == 0)
				return -1;
			m->ac = oid.val;
			m->ac_len = oid.len;
		}
	}
	if (rc < 0 || !m->ac)
		return -1;
	m->dialogue = version1 ? TCAP_DLG_AARQ : TCAP_DLG_BAD_VERSION;
	return 0;
}

/* DialoguePortion: EXTERNAL { direct-reference dialogue-as-id,
 * [indirect-reference], single-ASN1-type [0] { AARQ } }. */
static int decode_dialogue(const struct ber_tlv *dp, struct tcap_msg *m)
{
	struct ber_tlv ext, t, pdu;
	struct ber_iter it;
	bool as_id = false, have_pdu = false;
	int rc;

	if (ber_read(dp->val, dp->len, &ext) < 0 || ext.id != 0x28 || ext.raw_len != dp->len)
		return -1;
	ber_iter_init(&it, ext.val, ext.len);
	while ((rc = ber_next(&it, &t)) > 0) {
		if (t.id == 0x06) {
			as_id = t.len == sizeof(dialogue_as_id) &&
				!memcmp(t.val, dialogue_as_id, sizeof(dialogue_as_id));
		} else if (t.id == 0xa0) {
			if (ber_read(t.val, t.len, &pdu) < 0 || pdu.raw_len != t.len)
				return -1;
			have_pdu = true;
		} else if (t.id != 0x02) {
			return -1;
		}
	}
	if (rc < 0 || !as_id || !have_pdu || pdu.id != 0x60)
		return -1;
	return decode_aarq(&pdu, m);
}

static void decode_component(const struct ber_tlv *c, struct tcap_component *tc)
{
	struct ber_iter it;
	struct ber_tlv t;

	memset(tc, 0, sizeof(*tc));
	tc->type = c->id;
	if (c->id != TCAP_INVOKE && c->id != TCAP_RESULT_LAST && c->id != TCAP_RETURN_ERROR &&
	    c->id != TCAP_REJECT && c->id != TCAP_RESULT_NOT_LAST) {
		tc->error = TCAP_PROB_GENERAL << 8 | 0;	/* unrecognizedComponent */
		return;
	}
	ber_iter_init(&it, c->val, c->len);
	/* invokeId first (Reject may carry NULL instead). */
	if (ber_next(&it, &t) <= 0) {
		tc->error = TCAP_PROB_GENERAL << 8 | 2;	/* badlyStructuredComponent */
		return;
	}
	if (t.id == 0x02 && ber_int(&t, &tc->invoke_id) == 0 && tc->invoke_id >= -128 &&
	    tc->invoke_id <= 127) {
		tc->has_invoke_id = true;
	} else if (!(c->id == TCAP_REJECT && t.id == 0x05)) {
		tc->error = TCAP_PROB_GENERAL << 8 | 1;	/* mistypedComponent */
		return;
	}
	if (c->id != TCAP_INVOKE)
		return;
	if (ber_next(&it, &t) <= 0) {
		tc->error = TCAP_PROB_GENERAL << 8 | 1;
		return;
	}
	if (t.id == 0x80) {
		tc->has_linked_id = true;
		if (ber_next(&it, &t) <= 0) {
			tc->error = TCAP_PROB_GENERAL << 8 | 1;
			return;
		}
	}
	if (t.id == 0x06) {
		tc->op_global = true;
	} else if (t.id != 0x02 || ber_int(&t, &tc->opcode) < 0) {
		tc->error = TCAP_PROB_GENERAL << 8 | 1;
		return;
	}
	tc->args = it.p;
	tc->args_len = it.left;
	/* The argument elements must be well-formed BER too. */
	while (ber_next(&it, &t) > 0)
		;
	if (it.left)
		tc->error = TCAP_PROB_GENERAL << 8 | 2;
}

static void decode_components(const struct ber_tlv *cp, struct tcap_msg *m)
{
	struct ber_iter it;
	struct ber_tlv c;
	int rc;

	m->has_components = true;
	ber_iter_init(&it, cp->val, cp->len);
	while ((rc = ber_next(&it, &c)) > 0) {
		if (m->n_comp == TCAP_MAX_COMPONENTS)
			break;	/* more than an EIR is ever sent: ignore the rest */
		decode_component(&c, &m->comp[m->n_comp++]);
	}
	if (rc < 0 || (m->n_comp == 0 && rc == 0))
		m->components_bad = true;
}

int tcap_decode(const uint8_t *buf, size_t len, struct tcap_msg *m, enum tcap_p_abort *p_abort)
{
	struct ber_tlv top, t;
	struct ber_iter it;
	int rc, step = 0;

	memset(m, 0, sizeof(*m));
	*p_abort = TCAP_PA_BADLY_FORMATTED;
	if (ber_read(buf, len, &top) < 0)
		return -1;
	m->type = top.id;
	if (!top.constructed)
		return -1;
	ber_iter_init(&it, top.val, top.len);
	/* Order: otid, dtid, dialogue portion, component portion. */
	while ((rc = ber_next(&it, &t)) > 0) {
		if (t.id == 0x48 && step < 1) {
			if (get_tid(&t, m->otid, &m->otid_len) < 0)
				return -1;
			step = 1;
		} else if (t.id == 0x49 && step < 2) {
			if (get_tid(&t, m->dtid, &m->dtid_len) < 0)
				return -1;
			step = 2;
		} else if (t.id == 0x6b && step < 3) {
			step = 3;
			if (m->type == TCAP_BEGIN && decode_dialogue(&t, m) < 0)
				return -1;
		} else if (t.id == 0x6c && step < 4) {
			step = 4;
			if (m->type == TCAP_BEGIN)
				decode_components(&t, m);
		} else if (m->type == TCAP_BEGIN || m->type == TCAP_CONTINUE) {
			return -1;
		} else {
			step = 5;	/* Abort causes, or a message we only discard */
		}
	}
	if (rc < 0 || top.raw_len != len)
		return -1;
	switch (m->type) {
	case TCAP_BEGIN:
		if (!m->otid_len || m->dtid_len)
			return -1;
		return 0;
	case TCAP_CONTINUE:
		if (!m->otid_len || !m->dtid_len)
			return -1;
		return 0;
	case TCAP_END:
	case TCAP_ABORT:
	case TCAP_UNI:
		return 0;
	default:
		*p_abort = TCAP_PA_UNRECOGNIZED_MESSAGE_TYPE;
		return -1;
	}
}

/* ----------------------------------------------------------- encoders */

static void enc_dtid(struct ber_w *w, const uint8_t *dtid, size_t dtid_len)
{
	ber_w_prim(w, 0x49, dtid, dtid_len);
}

static void enc_aare(struct ber_w *w, const uint8_t *ac, size_t ac_len, uint8_t result,
		     bool provider, uint8_t diagnostic)
{
	ber_w_open(w, 0x6b);
	ber_w_open(w, 0x28);
	ber_w_prim(w, 0x06, dialogue_as_id, sizeof(dialogue_as_id));
	ber_w_open(w, 0xa0);
	ber_w_open(w, 0x61);
	ber_w_prim(w, 0x80, proto_version1, sizeof(proto_version1));
	ber_w_open(w, 0xa1);
	ber_w_prim(w, 0x06, ac, ac_len);
	ber_w_close(w);
	ber_w_open(w, 0xa2);
	ber_w_int(w, 0x02, result);
	ber_w_close(w);
	ber_w_open(w, 0xa3);
	ber_w_open(w, provider ? 0xa2 : 0xa1);
	ber_w_int(w, 0x02, diagnostic);
	ber_w_close(w);
	ber_w_close(w);
	ber_w_close(w);	/* AARE */
	ber_w_close(w);	/* single-ASN1-type */
	ber_w_close(w);	/* EXTERNAL */
	ber_w_close(w);	/* dialogue portion */
}

void tcap_enc_p_abort(struct ber_w *w, const uint8_t *dtid, size_t dtid_len, enum tcap_p_abort cause)
{
	ber_w_open(w, TCAP_ABORT);
	enc_dtid(w, dtid, dtid_len);
	ber_w_int(w, 0x4a, (int32_t)cause);
	ber_w_close(w);
}

void tcap_enc_refuse(struct ber_w *w, const uint8_t *dtid, size_t dtid_len, const uint8_t *ac,
		     size_t ac_len, bool provider, uint8_t diagnostic)
{
	ber_w_open(w, TCAP_ABORT);
	enc_dtid(w, dtid, dtid_len);
	enc_aare(w, ac, ac_len, 1 /* reject-permanent */, provider, diagnostic);
	ber_w_close(w);
}

void tcap_enc_end(struct ber_w *w, const uint8_t *dtid, size_t dtid_len, const uint8_t *ac,
		  size_t ac_len, const uint8_t *comps, size_t comps_len)
{
	ber_w_open(w, TCAP_END);
	enc_dtid(w, dtid, dtid_len);
	if (ac)
		enc_aare(w, ac, ac_len, 0 /* accepted */, false, 0 /* null */);
	if (comps_len)
		ber_w_prim(w, 0x6c, comps, comps_len);
	ber_w_close(w);
}

void tcap_enc_reject(struct ber_w *w, bool has_invoke_id, int32_t invoke_id, int problem)
{
	ber_w_open(w, TCAP_REJECT);
	if (has_invoke_id)
		ber_w_int(w, 0x02, invoke_id);
	else
		ber_w_prim(w, 0x05, NULL, 0);
	ber_w_int(w, (uint8_t)(problem >> 8), problem & 0xff);
	ber_w_close(w);
}

void tcap_enc_error(struct ber_w *w, int32_t invoke_id, int32_t errcode, const uint8_t *param,
		    size_t param_len)
{
	ber_w_open(w, TCAP_RETURN_ERROR);
	ber_w_int(w, 0x02, invoke_id);
	ber_w_int(w, 0x02, errcode);
	ber_w_raw(w, param, param_len);
	ber_w_close(w);
}

void tcap_enc_result(struct ber_w *w, int32_t invoke_id, int32_t opcode, const uint8_t *result,
		     size_t result_len)
{
	ber_w_open(w, TCAP_RESULT_LAST);
	ber_w_int(w, 0x02, invoke_id);
	ber_w_open(w, 0x30);
	ber_w_int(w, 0x02, opcode);
	ber_w_raw(w, result, result_len);
	ber_w_close(w);
	ber_w_close(w);
}
