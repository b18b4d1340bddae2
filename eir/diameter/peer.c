/* The responder's state machine for one Diameter connection (peer.h):
 * CER first and only once, the allow-list, DWR/DWA, DPR/DPA, S13
 * ME-Identity-Check, and the RFC 6733 answer to everything else. */
#include <stdio.h>
#include <string.h>

#include "peer.h"

static const char *const state_names[] = {
	[DIAM_PEER_WAIT_CER] = "wait-cer",
	[DIAM_PEER_OPEN] = "open",
	[DIAM_PEER_CLOSING] = "closing",
};

const char *diam_peer_state_name(enum diam_peer_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

void diam_peer_init(struct diam_peer *p, const struct diam_self *self, const struct diam_peer_ops *ops,
		    void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->state = DIAM_PEER_WAIT_CER;
	p->self = *self;
	p->ops = ops;
	p->ctx = ctx;
}

/* A received identity for a log line: printable ASCII as it is, anything
 * else (newlines, escapes, bytes over 0x7e) as \xNN, so that no peer can
 * forge a line of the log or of the NOC's view. */
static const char *escaped(struct diam_str s, char *buf, size_t sz)
{
	size_t o = 0;

	for (uint32_t i = 0; i < s.n && o + 5 < sz; i++) {
		uint8_t c = s.p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sz - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

struct answer {
	uint8_t *p;
	size_t room, *len;
};

static void emit(struct diam_peer *p, struct answer *a, long n)
{
	if (n > 0)
		*a->len = (size_t)n;
	else
		p->ops->log(p->ctx, DIAM_LOG_NOTICE, "answer does not fit\n");
}

static void answer_error(struct diam_peer *p, struct answer *a, const uint8_t *msg, size_t len,
			 const struct diam_hdr *h, const struct diam_fault *f)
{
	struct diam_buf b;
	enum diam_peer_event kind;

	p->ops->log(p->ctx, DIAM_LOG_INFO, "cmd %u app %u: %u %s\n", h->code, h->app, f->result,
		    f->text ? f->text : "");
	diam_buf_init(&b, a->p, a->room);
	emit(p, a, diam_error_encode(&b, h, diam_session_id(msg, len), &p->self, f));
	switch (f->result) {
	case DIAM_MISSING_AVP: kind = DIAM_EV_ERR_MISSING_AVP; break;
	case DIAM_AVP_UNSUPPORTED: kind = DIAM_EV_ERR_AVP_UNSUPPORTED; break;
	case DIAM_INVALID_AVP_VALUE:
	case DIAM_AVP_OCCURS_TOO_MANY_TIMES:
	case DIAM_INVALID_AVP_LENGTH: kind = DIAM_EV_ERR_INVALID_AVP; break;
	case DIAM_COMMAND_UNSUPPORTED: kind = DIAM_EV_ERR_COMMAND_UNSUPPORTED; break;
	case DIAM_APPLICATION_UNSUPPORTED: kind = DIAM_EV_ERR_APPLICATION_UNSUPPORTED; break;
	case DIAM_INVALID_HDR_BITS: kind = DIAM_EV_ERR_HEADER_BITS; break;
	default: kind = DIAM_EV_ERR_OTHER; break;
	}
	p->ops->event(p->ctx, DIAM_EV_TX_ERROR);
	p->ops->event(p->ctx, kind);
}

static enum diam_peer_action handle_cer(struct diam_peer *p, struct answer *a, const uint8_t *msg, size_t len,
					const struct diam_hdr *h)
{
	struct diam_cer cer;
	struct diam_fault f;
	struct diam_buf b;
	const char *admitted;
	char who[256 * 4 + 1];

	diam_buf_init(&b, a->p, a->room);
	if (diam_cer_decode(msg, len, &cer, &f)) {
		p->ops->log(p->ctx, DIAM_LOG_NOTICE, "malformed CER: %s\n", f.text);
		emit(p, a, diam_error_encode(&b, h, (struct diam_str){ 0 }, &p->self, &f));
		goto refused;
	}
	escaped(cer.origin_host, who, sizeof(who));
	admitted = p->ops->allow(p->ctx, cer.origin_host);
	if (!admitted) {
		p->ops->log(p->ctx, DIAM_LOG_NOTICE, "unknown peer %s refused\n", who);
		emit(p, a, diam_cea_encode(&b, h, &p->self, DIAM_UNKNOWN_PEER, "peer not configured"));
		goto refused;
	}
	if (!cer.s13 && !cer.relay) {
		p->ops->log(p->ctx, DIAM_LOG_NOTICE, "%s: no common application\n", who);
		emit(p, a, diam_cea_encode(&b, h, &p->self, DIAM_NO_COMMON_APPLICATION, NULL));
		goto refused;
	}
	emit(p, a, diam_cea_encode(&b, h, &p->self, DIAM_SUCCESS, NULL));
	snprintf(p->host, sizeof(p->host), "%s", admitted);
	p->state = DIAM_PEER_OPEN;
	p->ops->event(p->ctx, DIAM_EV_CER_ACCEPTED);
	return DIAM_PEER_OPENED;
refused:
	p->ops->event(p->ctx, DIAM_EV_CER_REFUSED);
	p->state = DIAM_PEER_CLOSING;
	return DIAM_PEER_CLOSE_AFTER;
}

static void handle_ecr(struct diam_peer *p, struct answer *a, const uint8_t *msg, size_t len,
		       const struct diam_hdr *h)
{
	static const enum diam_peer_event tx[] = {
		DIAM_EV_TX_WHITELISTED, DIAM_EV_TX_BLACKLISTED, DIAM_EV_TX_GREYLISTED,
	};
	struct s13_ecr r;
	struct diam_fault f;
	struct diam_buf b;
	int status;

	p->ops->event(p->ctx, DIAM_EV_RX_ECR);
	if (s13_ecr_decode(msg, len, &r, &f)) {
		answer_error(p, a, msg, len, h, &f);
		return;
	}
	status = p->ops->check(p->ctx, &r);
	if (status < 0 || status > 2)
		status = -1;
	diam_buf_init(&b, a->p, a->room);
	emit(p, a, s13_eca_encode(&b, h, r.session_id, &p->self, status));
	p->ops->event(p->ctx, status < 0 ? DIAM_EV_TX_UNKNOWN : tx[status]);
}

enum diam_peer_action diam_peer_input(struct diam_peer *p, const uint8_t *msg, size_t len, uint8_t *out,
				      size_t room, size_t *out_len)
{
	struct answer a = { .p = out, .room = room, .len = out_len };
	struct diam_peer_req pr;
	struct diam_hdr h;
	struct diam_fault f;
	struct diam_buf b;

	*out_len = 0;
	if (p->state == DIAM_PEER_CLOSING)
		return DIAM_PEER_CONTINUE;
	diam_hdr_parse(msg, &h);
	if (p->state == DIAM_PEER_WAIT_CER) {
		/* Nothing but a valid CER may open a connection: an answer
		 * or any other request ends it at once (RFC 6733 5.3). */
		if (!(h.flags & DIAM_FLAG_R)) {
			p->ops->log(p->ctx, DIAM_LOG_NOTICE, "an answer (command %u) before CER, closing\n", h.code);
			p->state = DIAM_PEER_CLOSING;
			return DIAM_PEER_CLOSE;
		}
		if (h.code != DIAM_CMD_CE || h.app != DIAM_APP_BASE) {
			p->ops->log(p->ctx, DIAM_LOG_NOTICE, "command %u before CER, closing\n", h.code);
			p->state = DIAM_PEER_CLOSING;
			return DIAM_PEER_CLOSE;
		}
		if (diam_check_header(&h, &f)) {
			/* A CER with bad bits (E, T): answered, then closed. */
			answer_error(p, &a, msg, len, &h, &f);
			p->ops->event(p->ctx, DIAM_EV_CER_REFUSED);
			p->state = DIAM_PEER_CLOSING;
			return DIAM_PEER_CLOSE_AFTER;
		}
		return handle_cer(p, &a, msg, len, &h);
	}
	if (!(h.flags & DIAM_FLAG_R)) {
		if (h.code == DIAM_CMD_DW && h.app == DIAM_APP_BASE)
			p->dwa_pending = false;	/* our DWR answered */
		return DIAM_PEER_CONTINUE;
	}
	if (diam_check_header(&h, &f)) {
		answer_error(p, &a, msg, len, &h, &f);
		return DIAM_PEER_CONTINUE;
	}
	diam_buf_init(&b, a.p, a.room);
	switch (h.app == DIAM_APP_BASE ? h.code : h.app == DIAM_APP_S13 ? h.code + 100000 : 0) {
	case DIAM_CMD_DW:
		p->ops->event(p->ctx, DIAM_EV_RX_DWR);
		if (diam_peer_req_decode(msg, len, &pr, &f))
			answer_error(p, &a, msg, len, &h, &f);
		else
			emit(p, &a, diam_dwa_encode(&b, &h, &p->self));
		return DIAM_PEER_CONTINUE;
	case DIAM_CMD_DP:
		p->ops->event(p->ctx, DIAM_EV_RX_DPR);
		if (diam_peer_req_decode(msg, len, &pr, &f)) {
			answer_error(p, &a, msg, len, &h, &f);
			return DIAM_PEER_CONTINUE;
		}
		emit(p, &a, diam_dpa_encode(&b, &h, &p->self));
		p->ops->log(p->ctx, DIAM_LOG_NOTICE, "disconnect (cause %u)\n", pr.disconnect_cause);
		p->state = DIAM_PEER_CLOSING;
		return DIAM_PEER_CLOSE_AFTER;
	case 100000 + DIAM_CMD_MEIC:
		handle_ecr(p, &a, msg, len, &h);
		return DIAM_PEER_CONTINUE;
	case DIAM_CMD_CE:
		f = (struct diam_fault){ .result = DIAM_UNABLE_TO_COMPLY, .text = "CER on an open connection" };
		answer_error(p, &a, msg, len, &h, &f);
		return DIAM_PEER_CONTINUE;
	default:
		if (h.app != DIAM_APP_BASE && h.app != DIAM_APP_S13)
			f = (struct diam_fault){ .result = DIAM_APPLICATION_UNSUPPORTED, .text = "application not supported" };
		else
			f = (struct diam_fault){ .result = DIAM_COMMAND_UNSUPPORTED, .text = "command not supported" };
		answer_error(p, &a, msg, len, &h, &f);
		return DIAM_PEER_CONTINUE;
	}
}
