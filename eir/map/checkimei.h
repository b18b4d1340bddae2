/* checkimei: the EIR side of MAP CheckIMEI (3GPP TS 29.002, opcode 43) over
 * TCAP: one received TCAP message in, the answer out. MAP v1 (no dialogue),
 * v2 and v3 application contexts, the vendor variants that carry an IMSI,
 * and every error answered per Q.773/Q.774 and 29.002. Pure: the verdict
 * comes from a callback, and counting is the caller's. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What happened, one event per count() call; the names are in eir/eird/fe_map.c's
 * counter table (map:...). */
enum map_event {
	MAP_EV_RX_BEGIN,
	MAP_EV_RX_V1,			/* CheckIMEI invokes per dialogue version */
	MAP_EV_RX_V2,
	MAP_EV_RX_V3,
	MAP_EV_TX_WHITE,
	MAP_EV_TX_BLACK,
	MAP_EV_TX_GREY,
	MAP_EV_TX_UNKNOWN_EQUIPMENT,
	MAP_EV_TX_SYSTEM_FAILURE,
	MAP_EV_TX_DATA_MISSING,
	MAP_EV_TX_REJECT,
	MAP_EV_TX_AC_REFUSED,		/* U-Abort: AC not supported */
	MAP_EV_TX_P_ABORT,
	MAP_EV_DISCARDED,		/* undecodable, End, Abort, Unidirectional */
	MAP_EV_ERR_TRANSACTION,		/* bad transaction portion */
	MAP_EV_ERR_DIALOGUE,		/* bad dialogue portion or protocol version */
	MAP_EV_ERR_COMPONENT,		/* bad or unexpected component */
	MAP_EV_ERR_OPERATION,		/* an operation other than checkIMEI */
	MAP_EV_ERR_ARGUMENT,		/* checkIMEI argument mistyped */
	MAP_EV_COUNT
};

struct map_eir {
	/* Decide one query (eird_check in eird). */
	void (*check)(void *ctx, const struct eir_query *q, struct eir_result *res);
	/* Count one event; may be NULL. */
	void (*count)(void *ctx, enum map_event ev);
	void *ctx;
	int max_version;		/* highest equipmentMngtContext accepted: 2 or 3 */
	unsigned imei_flags;		/* enum eir_imei_flags for the IMEI digits */
};

#define MAP_MAX_ANSWER 512		/* room enough for any answer we send */

/* Answer one TCAP message. Returns the answer's length (> 0), 0 when the
 * message is discarded without answer, or -1 if out is too small. */
long map_eir_handle(const struct map_eir *eir, const uint8_t *in, size_t len, uint8_t *out,
		    size_t cap);
