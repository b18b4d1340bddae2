/* The responder side of one Diameter connection (RFC 6733 §5): which
 * message is acceptable in which state, and the answer to each. Pure: the
 * caller owns the transport, the timers and the allow-list, and gives the
 * messages one by one, framed by diam_frame(). The fuzzers drive it with
 * sequences of messages. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* Room the caller must offer for the answer to one message: the largest
 * is an error answer quoting a whole AVP of the largest message. */
#define DIAM_PEER_ANSWER_ROOM(max_msg) ((size_t)(max_msg) + 1024)

enum diam_peer_state {
	DIAM_PEER_WAIT_CER,	/* connected, nothing but CER acceptable */
	DIAM_PEER_OPEN,		/* capabilities exchanged */
	DIAM_PEER_CLOSING,	/* answered what ends it; input ignored */
};

/* What a message did, one value per counter of the front end. */
enum diam_peer_event {
	DIAM_EV_RX_ECR,
	DIAM_EV_TX_WHITELISTED,
	DIAM_EV_TX_BLACKLISTED,
	DIAM_EV_TX_GREYLISTED,
	DIAM_EV_TX_UNKNOWN,
	DIAM_EV_TX_ERROR,
	DIAM_EV_CER_ACCEPTED,
	DIAM_EV_CER_REFUSED,
	DIAM_EV_RX_DWR,
	DIAM_EV_RX_DPR,
	DIAM_EV_ERR_MISSING_AVP,
	DIAM_EV_ERR_AVP_UNSUPPORTED,
	DIAM_EV_ERR_INVALID_AVP,
	DIAM_EV_ERR_COMMAND_UNSUPPORTED,
	DIAM_EV_ERR_APPLICATION_UNSUPPORTED,
	DIAM_EV_ERR_HEADER_BITS,
	DIAM_EV_ERR_OTHER,
	DIAM_EV_COUNT
};

enum diam_peer_log { DIAM_LOG_DEBUG, DIAM_LOG_INFO, DIAM_LOG_NOTICE };

struct diam_peer_ops {
	/* The configured identity that admits this Origin-Host (from this
	 * transport), or NULL: the CER is refused with 3010. */
	const char *(*allow)(void *ctx, struct diam_str origin_host);
	/* Equipment-Status (0 whitelisted, 1 blacklisted, 2 greylisted) for
	 * a decoded ECR, or -1 for unknown equipment (5422). */
	int (*check)(void *ctx, const struct s13_ecr *r);
	void (*event)(void *ctx, enum diam_peer_event ev);
	/* Text for the daemon's log; identities received are escaped. */
	void (*log)(void *ctx, enum diam_peer_log level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
};

struct diam_peer {
	enum diam_peer_state state;
	char host[256];		/* the admitted identity once open, else "" */
	bool dwa_pending;	/* the caller sent DWR; cleared by the DWA */
	const struct diam_peer_ops *ops;
	void *ctx;
	struct diam_self self;
};

/* What the caller does after a message. */
enum diam_peer_action {
	DIAM_PEER_CONTINUE,
	DIAM_PEER_OPENED,	/* now open: arm the watchdog, retire older connections of host */
	DIAM_PEER_CLOSE_AFTER,	/* send the answer, then close after a grace period */
	DIAM_PEER_CLOSE,	/* close now (after sending any answer) */
};

void diam_peer_init(struct diam_peer *p, const struct diam_self *self, const struct diam_peer_ops *ops,
		    void *ctx);
/* Handle one complete message of at most max_msg bytes. The answer, if
 * any, is written to out (room at least DIAM_PEER_ANSWER_ROOM(max_msg))
 * and its length stored in *out_len (0 without an answer). */
enum diam_peer_action diam_peer_input(struct diam_peer *p, const uint8_t *msg, size_t len, uint8_t *out,
				      size_t room, size_t *out_len);
const char *diam_peer_state_name(enum diam_peer_state s);
