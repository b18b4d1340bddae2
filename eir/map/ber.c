/* ber: a strict BER reader/writer for TCAP and MAP (see ber.h). */
#include <string.h>

#include "ber.h"

static int read_at(const uint8_t *buf, size_t len, struct ber_tlv *t, unsigned depth);

/* Length of the contents of an indefinite-length element starting at buf
 * (after its length octet): the elements up to the end-of-contents 00 00. */
static int indefinite_len(const uint8_t *buf, size_t len, size_t *content, unsigned depth)
{
	size_t off = 0;
	struct ber_tlv t;
	int rc;

	if (depth >= BER_MAX_DEPTH)
		return BER_EDEPTH;
	for (;;) {
		if (len - off < 2)
			return len - off ? BER_ETRUNC : BER_EINDEF;
		if (buf[off] == 0 && buf[off + 1] == 0) {
			*content = off;
			return BER_OK;
		}
		rc = read_at(buf + off, len - off, &t, depth + 1);
		if (rc < 0)
			return rc;
		off += t.raw_len;
	}
}

static int read_at(const uint8_t *buf, size_t len, struct ber_tlv *t, unsigned depth)
{
	size_t off = 0, clen = 0;
	uint8_t b;
	int rc;

	if (len < 2)
		return BER_ETRUNC;
	b = buf[off++];
	t->id = b;
	t->cls = b & 0xc0;
	t->constructed = b & BER_CONSTRUCTED;
	t->tag = b & 0x1f;
	if (t->tag == 0x1f) {
		/* High-tag-number form: base-128, at most two octets here. */
		uint32_t tag = 0;
		unsigned n = 0;
		do {
			if (off >= len)
				return BER_ETRUNC;
			b = buf[off++];
			if (n == 0 && b == 0x80)
				return BER_ETAG;	/* leading zero septet */
			tag = (tag << 7) | (b & 0x7f);
			if (++n > 2)
				return BER_ETAG;
		} while (b & 0x80);
		if (tag < 31)
			return BER_ETAG;
		t->tag = tag;
	}
	if (off >= len)
		return BER_ETRUNC;
	b = buf[off++];
	if (b == 0x80) {
		if (!t->constructed)
			return BER_EINDEF;
		rc = indefinite_len(buf + off, len - off, &clen, depth);
		if (rc < 0)
			return rc;
		t->val = buf + off;
		t->len = clen;
		t->raw = buf;
		t->raw_len = off + clen + 2;
		return BER_OK;
	}
	if (b & 0x80) {
		unsigned n = b & 0x7f;
		if (n > 4 || b == 0xff)
			return BER_ELENGTH;
		if (len - off < n)
			return BER_ETRUNC;
		for (unsigned i = 0; i < n; i++)
			clen = (clen << 8) | buf[off++];
	} else {
		clen = b;
	}
	if (clen > len - off)
		return BER_ETRUNC;
	t->val = buf + off;
	t->len = clen;
	t->raw = buf;
	t->raw_len = off + clen;
	return BER_OK;
}

int ber_read(const uint8_t *buf, size_t len, struct ber_tlv *t)
{
	return read_at(buf, len, t, 0);
}

int ber_next(struct ber_iter *it, struct ber_tlv *t)
{
	int rc;

	if (it->left == 0)
		return 0;
	rc = ber_read(it->p, it->left, t);
	if (rc < 0)
		return rc;
	it->p += t->raw_len;
	it->left -= t->raw_len;
	return 1;
}

int ber_int(const struct ber_tlv *t, int32_t *v)
{
	uint32_t u;

	if (t->constructed || t->len < 1 || t->len > 4)
		return BER_ELENGTH;
	u = (t->val[0] & 0x80) ? 0xffffffffu : 0;
	for (size_t i = 0; i < t->len; i++)
		u = (u << 8) | t->val[i];
	*v = (int32_t)u;
	return BER_OK;
}

/* ------------------------------------------------------------- writer */

void ber_w_init(struct ber_w *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
}

static void put(struct ber_w *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_len(struct ber_w *w, size_t len)
{
	uint8_t b[3];

	if (len < 0x80) {
		b[0] = (uint8_t)len;
		put(w, b, 1);
	} else if (len < 0x100) {
		b[0] = 0x81;
		b[1] = (uint8_t)len;
		put(w, b, 2);
	} else if (len < 0x10000) {
		b[0] = 0x82;
		b[1] = (uint8_t)(len >> 8);
		b[2] = (uint8_t)len;
		put(w, b, 3);
	} else {
		w->err = true;
	}
}

void ber_w_prim(struct ber_w *w, uint8_t id, const void *val, size_t len)
{
	put(w, &id, 1);
	put_len(w, len);
	put(w, val, len);
}

void ber_w_int(struct ber_w *w, uint8_t id, int32_t v)
{
	uint8_t b[4];
	size_t n = 4;

	for (int i = 3; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	/* Shortest two's complement: drop redundant leading octets. */
	size_t s = 0;
	while (n - s > 1 && ((b[s] == 0x00 && !(b[s + 1] & 0x80)) || (b[s] == 0xff && (b[s + 1] & 0x80))))
		s++;
	ber_w_prim(w, id, b + s, n - s);
}

void ber_w_raw(struct ber_w *w, const void *val, size_t len)
{
	put(w, val, len);
}

void ber_w_open(struct ber_w *w, uint8_t id)
{
	uint8_t zero = 0;

	if (w->depth >= BER_MAX_DEPTH) {
		w->err = true;
		return;
	}
	put(w, &id, 1);
	w->open[w->depth++] = w->len;
	put(w, &zero, 1);
}

void ber_w_close(struct ber_w *w)
{
	size_t at, clen, extra;

	if (w->depth == 0) {
		w->err = true;
		return;
	}
	at = w->open[--w->depth];
	if (w->err)
		return;
	clen = w->len - at - 1;
	if (clen < 0x80) {
		w->buf[at] = (uint8_t)clen;
		return;
	}
	extra = clen < 0x100 ? 1 : 2;
	if (clen >= 0x10000 || w->cap - w->len < extra) {
		w->err = true;
		return;
	}
	memmove(w->buf + at + 1 + extra, w->buf + at + 1, clen);
	w->buf[at] = (uint8_t)(0x80 | extra);
	if (extra == 1) {
		w->buf[at + 1] = (uint8_t)clen;
	} else {
		w->buf[at + 1] = (uint8_t)(clen >> 8);
		w->buf[at + 2] = (uint8_t)clen;
	}
	w->len += extra;
}

long ber_w_done(struct ber_w *w)
{
	return w->err || w->depth ? -1 : (long)w->len;
}
