/* libFuzzer harness: the Diameter responder state machine over a sequence
 * of messages (the input, cut by diam_frame). The first byte chooses what
 * the allow-list and the policy say. Every answer must be a well-formed
 * answer to the message it follows; nothing is answered once the
 * connection is closing; only a CER opens, and only once. */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "diam.h"
#include "msg.h"
#include "peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG (16 * 1024)

static const uint8_t ip[][4] = { { 127, 0, 0, 1 } };
static const struct diam_self self = {
	.origin_host = "eir.example.net", .origin_realm = "example.net", .product_name = "eird",
	.ipv4 = ip, .n_ipv4 = 1,
};

struct ctx {
	uint8_t ctl;
	unsigned events[DIAM_EV_COUNT];
};

static const char *allow(void *p, struct diam_str host)
{
	struct ctx *c = p;
	assert(host.n == 0 || host.p);
	return (c->ctl & 1) ? "mme.example.net" : NULL;
}

static int check(void *p, const struct s13_ecr *r)
{
	struct ctx *c = p;
	assert(r->imei.n == 0 || r->imei.p);
	return (int)((c->ctl >> 1) & 3) - 1;	/* -1 .. 2 */
}

static void event(void *p, enum diam_peer_event ev)
{
	struct ctx *c = p;
	assert(ev < DIAM_EV_COUNT);
	c->events[ev]++;
}

static void logf_(void *p, enum diam_peer_log level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	(void)p;
	assert(level <= DIAM_LOG_NOTICE);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *s = buf; *s; s++)	/* nothing received reaches a log raw */
		assert(*s == '\n' ? s[1] == '\0' : (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f);
}

static const struct diam_peer_ops ops = { .allow = allow, .check = check, .event = event, .log = logf_ };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DIAM_PEER_ANSWER_ROOM(MAX_MSG)];
	struct diam_peer p;
	struct ctx c = { 0 };
	bool opened = false;

	if (size < 1)
		return 0;
	c.ctl = data[0];
	diam_peer_init(&p, &self, &ops, &c);
	p.dwa_pending = c.ctl & 8;
	data++, size--;
	while (size) {
		long len = diam_frame(data, size, MAX_MSG);
		struct diam_hdr req, ans;
		enum diam_peer_state before = p.state;
		size_t n;

		if (len <= 0)
			break;
		diam_hdr_parse(data, &req);
		enum diam_peer_action act = diam_peer_input(&p, data, (size_t)len, out, sizeof(out), &n);
		if (n) {
			assert(before != DIAM_PEER_CLOSING);
			assert(diam_frame(out, n, sizeof(out)) == (long)n);
			diam_hdr_parse(out, &ans);
			assert(!(ans.flags & DIAM_FLAG_R));
			assert(req.flags & DIAM_FLAG_R);	/* answers only to requests */
			assert(ans.hbh == req.hbh && ans.e2e == req.e2e && ans.code == req.code);
			if (before == DIAM_PEER_WAIT_CER)
				assert(ans.code == DIAM_CMD_CE);
			struct diam_iter it;
			struct diam_avp avp;
			int rc;
			diam_iter_msg(&it, out, n);
			while ((rc = diam_iter_next(&it, &avp)) == 1)
				;
			assert(rc == 0);
		}
		switch (act) {
		case DIAM_PEER_OPENED:
			assert(before == DIAM_PEER_WAIT_CER && !opened && (c.ctl & 1));
			assert(p.state == DIAM_PEER_OPEN && !strcmp(p.host, "mme.example.net"));
			opened = true;
			break;
		case DIAM_PEER_CLOSE:
		case DIAM_PEER_CLOSE_AFTER:
			assert(p.state == DIAM_PEER_CLOSING);
			break;
		case DIAM_PEER_CONTINUE:
			assert(p.state == before);
			break;
		}
		if (p.state != DIAM_PEER_OPEN)
			assert(c.events[DIAM_EV_TX_WHITELISTED] + c.events[DIAM_EV_TX_BLACKLISTED] +
			       c.events[DIAM_EV_TX_GREYLISTED] + c.events[DIAM_EV_TX_UNKNOWN] == 0 || opened);
		data += len, size -= (size_t)len;
	}
	assert(c.events[DIAM_EV_CER_ACCEPTED] <= 1);
	return 0;
}
