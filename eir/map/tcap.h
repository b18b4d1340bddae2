/* tcap: the TCAP (ITU-T Q.773) messages an EIR receives and sends: decode
 * of a received message with its dialogue and component portions, encode of
 * End, U-Abort (dialogue refused) and P-Abort. No transaction state: the EIR
 * answers every Begin with an End. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ber.h"

#define TCAP_MAX_COMPONENTS 8

enum tcap_msg_type {
	TCAP_UNI = 0x61,
	TCAP_BEGIN = 0x62,
	TCAP_END = 0x64,
	TCAP_CONTINUE = 0x65,
	TCAP_ABORT = 0x67,
};

enum tcap_p_abort {
	TCAP_PA_UNRECOGNIZED_MESSAGE_TYPE = 0,
	TCAP_PA_UNRECOGNIZED_TID = 1,
	TCAP_PA_BADLY_FORMATTED = 2,
	TCAP_PA_INCORRECT_TRANSACTION_PORTION = 3,
	TCAP_PA_RESOURCE_LIMITATION = 4,
};

/* Component tags and Reject problem tags (Q.773). */
enum tcap_comp_type {
	TCAP_INVOKE = 0xa1,
	TCAP_RESULT_LAST = 0xa2,
	TCAP_RETURN_ERROR = 0xa3,
	TCAP_REJECT = 0xa4,
	TCAP_RESULT_NOT_LAST = 0xa7,
};

enum tcap_problem_type {
	TCAP_PROB_GENERAL = 0x80,
	TCAP_PROB_INVOKE = 0x81,
	TCAP_PROB_RESULT = 0x82,
	TCAP_PROB_ERROR = 0x83,
};

/* One received component, checked for its TCAP structure only; the
 * operation's argument is left to the application. */
struct tcap_component {
	uint8_t type;			/* enum tcap_comp_type, or the unknown tag */
	int error;			/* 0, or the Reject to answer: problem type << 8 | code */
	bool has_invoke_id;
	int32_t invoke_id;
	bool has_linked_id;
	bool op_global;
	int32_t opcode;			/* local operation code */
	const uint8_t *args;		/* the elements after the opcode (argument and any extras) */
	size_t args_len;
};

enum tcap_dialogue {
	TCAP_DLG_NONE = 0,		/* no dialogue portion: a MAP v1 dialogue */
	TCAP_DLG_AARQ,			/* dialogue request with an AC */
	TCAP_DLG_BAD_VERSION,		/* AARQ without protocol version 1 */
};

struct tcap_msg {
	uint8_t type;			/* enum tcap_msg_type */
	uint8_t otid[4], dtid[4];
	uint8_t otid_len, dtid_len;	/* 0: absent */
	enum tcap_dialogue dialogue;
	const uint8_t *ac;		/* AARQ application-context-name OID contents */
	size_t ac_len;
	bool has_components;
	bool components_bad;		/* the component portion is not valid BER */
	unsigned n_comp;
	struct tcap_component comp[TCAP_MAX_COMPONENTS];
};

/* Decode a TCAP message. Returns 0, or -1 with *p_abort set to the P-Abort
 * cause when the transaction or dialogue portion is unusable (the caller
 * answers with P-Abort if an otid was recovered, or discards). */
int tcap_decode(const uint8_t *buf, size_t len, struct tcap_msg *m, enum tcap_p_abort *p_abort);

/* Encoders. dtid is the received otid. */
void tcap_enc_p_abort(struct ber_w *w, const uint8_t *dtid, size_t dtid_len, enum tcap_p_abort cause);
/* TC-U-ABORT refusing the dialogue: AARE reject-permanent with the AC we
 * offer and the diagnostic (user: 2 = AC name not supported; or provider:
 * 2 = no common dialogue portion). */
void tcap_enc_refuse(struct ber_w *w, const uint8_t *dtid, size_t dtid_len, const uint8_t *ac,
		     size_t ac_len, bool provider, uint8_t diagnostic);
/* End answering a Begin: with the AARE accepting `ac` when ac is not NULL,
 * and the component portion holding `comps` (encoded components) when
 * comps_len > 0. */
void tcap_enc_end(struct ber_w *w, const uint8_t *dtid, size_t dtid_len, const uint8_t *ac,
		  size_t ac_len, const uint8_t *comps, size_t comps_len);
/* One component each, for the comps of tcap_enc_end. */
void tcap_enc_reject(struct ber_w *w, bool has_invoke_id, int32_t invoke_id, int problem);
void tcap_enc_error(struct ber_w *w, int32_t invoke_id, int32_t errcode, const uint8_t *param,
		    size_t param_len);
/* ReturnResultLast { invokeId, SEQUENCE { opcode, result } }. */
void tcap_enc_result(struct ber_w *w, int32_t invoke_id, int32_t opcode, const uint8_t *result,
		     size_t result_len);
