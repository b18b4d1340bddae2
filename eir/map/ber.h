/* ber: a strict, bounds-checked BER reader and writer for the subset of
 * ASN.1 that TCAP and MAP CheckIMEI use. Identifier octets with tag numbers
 * up to 2^14 (high-tag form), definite lengths in short and long form (up to
 * 4 length octets), and indefinite lengths for constructed encodings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BER_MAX_DEPTH 16	/* nesting of indefinite lengths we follow */

/* Class bits as they appear in the first identifier octet. */
#define BER_UNIVERSAL   0x00
#define BER_APPLICATION 0x40
#define BER_CONTEXT     0x80
#define BER_PRIVATE     0xc0
#define BER_CONSTRUCTED 0x20

enum ber_err {
	BER_OK = 0,
	BER_ETRUNC = -1,	/* the input ends inside an element */
	BER_ELENGTH = -2,	/* malformed or oversize length */
	BER_ETAG = -3,		/* malformed identifier */
	BER_EINDEF = -4,	/* indefinite length on a primitive, or unterminated */
	BER_EDEPTH = -5,	/* nesting too deep */
};

struct ber_tlv {
	uint8_t cls;		/* BER_UNIVERSAL .. BER_PRIVATE */
	bool constructed;
	uint32_t tag;		/* tag number */
	uint8_t id;		/* first identifier octet: class|constructed|tag for tags < 31 */
	const uint8_t *val;	/* contents (for indefinite: without the end-of-contents) */
	size_t len;
	const uint8_t *raw;	/* the whole element */
	size_t raw_len;
};

/* Read the element at buf; on success fills t and returns BER_OK. */
int ber_read(const uint8_t *buf, size_t len, struct ber_tlv *t);

/* Iterate the elements of a constructed value (or of a whole buffer). */
struct ber_iter {
	const uint8_t *p;
	size_t left;
};

static inline void ber_iter_init(struct ber_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->left = len;
}

/* 1 with t filled, 0 at the end, or a negative enum ber_err. */
int ber_next(struct ber_iter *it, struct ber_tlv *t);

/* INTEGER contents of 1..4 octets into *v (two's complement). */
int ber_int(const struct ber_tlv *t, int32_t *v);

/* Writer: a fixed buffer; the first overflow sets `err` and later calls do
 * nothing (check once at the end). */
struct ber_w {
	uint8_t *buf;
	size_t cap, len;
	bool err;
	size_t open[BER_MAX_DEPTH];	/* offsets of the open length octets */
	unsigned depth;
};

void ber_w_init(struct ber_w *w, uint8_t *buf, size_t cap);
/* A primitive element with a one-octet identifier. */
void ber_w_prim(struct ber_w *w, uint8_t id, const void *val, size_t len);
void ber_w_int(struct ber_w *w, uint8_t id, int32_t v);
/* Raw octets (an element encoded elsewhere, e.g. an OID as received). */
void ber_w_raw(struct ber_w *w, const void *val, size_t len);
/* Open a constructed element; close it when its contents are written
 * (definite length, shortest form). */
void ber_w_open(struct ber_w *w, uint8_t id);
void ber_w_close(struct ber_w *w);
/* Length written, or -1 after an overflow or with elements left open. */
long ber_w_done(struct ber_w *w);
