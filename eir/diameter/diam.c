/* Diameter base codec (diam.h). */
#include <string.h>

#include "diam.h"

static uint32_t get24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16), p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

long diam_frame(const uint8_t *buf, size_t len, size_t max)
{
	uint32_t mlen;

	if (len < 4)
		return 0;
	mlen = get24(buf + 1);
	if (buf[0] != DIAM_VERSION || mlen < DIAM_HDR_LEN || (mlen & 3) || mlen > max)
		return -1;
	return len >= mlen ? (long)mlen : 0;
}

void diam_hdr_parse(const uint8_t *msg, struct diam_hdr *h)
{
	h->version = msg[0];
	h->length = get24(msg + 1);
	h->flags = msg[4];
	h->code = get24(msg + 5);
	h->app = get32(msg + 8);
	h->hbh = get32(msg + 12);
	h->e2e = get32(msg + 16);
}

void diam_iter_init(struct diam_iter *it, const uint8_t *avps, size_t len)
{
	it->p = avps;
	it->end = avps + len;
}

void diam_iter_msg(struct diam_iter *it, const uint8_t *msg, size_t len)
{
	diam_iter_init(it, msg + DIAM_HDR_LEN, len > DIAM_HDR_LEN ? len - DIAM_HDR_LEN : 0);
}

void diam_iter_group(struct diam_iter *it, const struct diam_avp *grouped)
{
	diam_iter_init(it, grouped->data, grouped->len);
}

int diam_iter_next(struct diam_iter *it, struct diam_avp *avp)
{
	size_t left = (size_t)(it->end - it->p), hlen, padded;
	uint32_t alen;

	if (left == 0)
		return 0;
	memset(avp, 0, sizeof(*avp));
	avp->raw = it->p;
	if (left < 8) {
		avp->raw_len = (uint32_t)left;
		return -1;
	}
	avp->code = get32(it->p);
	avp->flags = it->p[4];
	alen = get24(it->p + 5);
	hlen = (avp->flags & DIAM_AVP_V) ? 12 : 8;
	avp->raw_len = alen;
	if (alen < hlen || alen > left) {
		avp->raw_len = (uint32_t)(left < hlen ? left : hlen);
		return -1;
	}
	if (hlen == 12)
		avp->vendor = get32(it->p + 8);
	avp->data = it->p + hlen;
	avp->len = alen - (uint32_t)hlen;
	padded = (alen + 3) & ~(size_t)3;
	/* The last AVP of a grouped AVP may lack its padding; anything else
	 * must be padded to the next multiple of 4. */
	it->p += padded <= left ? padded : left;
	return 1;
}

int diam_avp_u32(const struct diam_avp *avp, uint32_t *v)
{
	if (avp->len != 4)
		return -1;
	*v = get32(avp->data);
	return 0;
}

/* ------------------------------------------------------------------ encode */

void diam_buf_init(struct diam_buf *b, uint8_t *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->err = false;
	b->depth = 0;
}

static uint8_t *reserve(struct diam_buf *b, size_t n)
{
	uint8_t *p;

	if (b->err || b->cap - b->len < n) {
		b->err = true;
		return NULL;
	}
	p = b->p + b->len;
	b->len += n;
	return p;
}

void diam_msg_begin(struct diam_buf *b, uint8_t flags, uint32_t code, uint32_t app,
		    uint32_t hbh, uint32_t e2e)
{
	uint8_t *p;

	b->len = 0;
	b->err = false;
	b->depth = 0;
	p = reserve(b, DIAM_HDR_LEN);
	if (!p)
		return;
	p[0] = DIAM_VERSION;
	put24(p + 1, 0);
	p[4] = flags;
	put24(p + 5, code);
	put32(p + 8, app);
	put32(p + 12, hbh);
	put32(p + 16, e2e);
}

/* AVP header; returns where the data goes. */
static uint8_t *avp_head(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor, size_t dlen)
{
	size_t hlen = vendor ? 12 : 8, pad = (4 - ((hlen + dlen) & 3)) & 3;
	uint8_t *p = reserve(b, hlen + dlen + pad);

	if (!p)
		return NULL;
	put32(p, code);
	p[4] = (uint8_t)(vendor ? flags | DIAM_AVP_V : flags & ~DIAM_AVP_V);
	put24(p + 5, (uint32_t)(hlen + dlen));
	if (vendor)
		put32(p + 8, vendor);
	memset(p + hlen + dlen, 0, pad);
	return p + hlen;
}

void diam_put_u32(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor, uint32_t v)
{
	uint8_t *p = avp_head(b, code, flags, vendor, 4);
	if (p)
		put32(p, v);
}

void diam_put_bytes(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor,
		    const void *data, size_t len)
{
	uint8_t *p;

	if (len > 0xffffff - 12) {
		b->err = true;
		return;
	}
	p = avp_head(b, code, flags, vendor, len);
	if (p && len)
		memcpy(p, data, len);
}

void diam_put_str(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor, const char *s)
{
	diam_put_bytes(b, code, flags, vendor, s, strlen(s));
}

void diam_put_addr(struct diam_buf *b, uint32_t code, uint8_t flags, uint16_t family,
		   const void *addr, size_t len)
{
	uint8_t *p = avp_head(b, code, flags, 0, 2 + len);

	if (!p)
		return;
	p[0] = (uint8_t)(family >> 8), p[1] = (uint8_t)family;
	memcpy(p + 2, addr, len);
}

void diam_put_raw(struct diam_buf *b, const uint8_t *raw, size_t len)
{
	size_t pad = (4 - (len & 3)) & 3;
	uint8_t *p = reserve(b, len + pad);

	if (!p)
		return;
	memcpy(p, raw, len);
	memset(p + len, 0, pad);
}

void diam_group_begin(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor)
{
	size_t at = b->len;

	if (b->depth == DIAM_MAX_DEPTH) {
		b->err = true;
		return;
	}
	if (!avp_head(b, code, flags, vendor, 0))
		return;
	b->open[b->depth++] = at;
}

void diam_group_end(struct diam_buf *b)
{
	if (b->err || !b->depth) {
		b->err = true;
		return;
	}
	size_t at = b->open[--b->depth];
	put24(b->p + at + 5, (uint32_t)(b->len - at));
}

long diam_msg_end(struct diam_buf *b)
{
	if (b->err || b->depth || b->len < DIAM_HDR_LEN || b->len > 0xffffff)
		return -1;
	put24(b->p + 1, (uint32_t)b->len);
	return (long)b->len;
}
