/* Diameter base codec (RFC 6733 §3, §4): framing, header, an AVP iterator
 * that points into the received bytes, and an encoder that writes into a
 * caller's buffer. No allocation, no I/O: the daemon's hot path and the
 * fuzzers use it alike. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIAM_HDR_LEN 20
#define DIAM_VERSION 1

/* Command flags */
#define DIAM_FLAG_R 0x80
#define DIAM_FLAG_P 0x40
#define DIAM_FLAG_E 0x20
#define DIAM_FLAG_T 0x10

/* AVP flags */
#define DIAM_AVP_V 0x80
#define DIAM_AVP_M 0x40
#define DIAM_AVP_P 0x20

struct diam_hdr {
	uint8_t version;
	uint32_t length;
	uint8_t flags;
	uint32_t code;
	uint32_t app;
	uint32_t hbh;
	uint32_t e2e;
};

/* Framing on a byte stream. Returns the length of the complete message at
 * the start of buf, 0 when more bytes are needed, or -1 when the header
 * cannot start a valid message (version, length below 20, not a multiple
 * of 4, above max): the stream cannot be resynchronised. */
long diam_frame(const uint8_t *buf, size_t len, size_t max);

/* Parse the header of a complete message (length checked by diam_frame). */
void diam_hdr_parse(const uint8_t *msg, struct diam_hdr *h);

struct diam_avp {
	uint32_t code;
	uint8_t flags;
	uint32_t vendor;	/* 0 without the V flag */
	const uint8_t *data;
	uint32_t len;		/* data length, without padding */
	const uint8_t *raw;	/* the whole AVP as received, header included */
	uint32_t raw_len;	/* header + data, without padding */
};

struct diam_iter {
	const uint8_t *p, *end;
};

/* Iterate the AVPs of a message (after the header) or of a grouped AVP. */
void diam_iter_init(struct diam_iter *it, const uint8_t *avps, size_t len);
void diam_iter_msg(struct diam_iter *it, const uint8_t *msg, size_t len);
void diam_iter_group(struct diam_iter *it, const struct diam_avp *grouped);
/* 1 with *avp, 0 at the end, -1 for an AVP whose length does not fit
 * (RFC 6733 7.1.5 DIAMETER_INVALID_AVP_LENGTH); *avp then holds what could be
 * read of it, for Failed-AVP. */
int diam_iter_next(struct diam_iter *it, struct diam_avp *avp);

/* Typed reads: 0, or -1 when the data length is wrong for the type. */
int diam_avp_u32(const struct diam_avp *avp, uint32_t *v);

/* ------------------------------------------------------------------ encode */

#define DIAM_MAX_DEPTH 4

/* An output buffer. After the first overflow every call is a no-op and
 * diam_msg_end() fails. */
struct diam_buf {
	uint8_t *p;
	size_t len, cap;
	bool err;
	size_t open[DIAM_MAX_DEPTH];	/* offsets of open grouped AVPs */
	int depth;
};

void diam_buf_init(struct diam_buf *b, uint8_t *mem, size_t cap);
void diam_msg_begin(struct diam_buf *b, uint8_t flags, uint32_t code, uint32_t app,
		    uint32_t hbh, uint32_t e2e);
void diam_put_u32(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor, uint32_t v);
void diam_put_bytes(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor,
		    const void *data, size_t len);
void diam_put_str(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor, const char *s);
/* Address: 2-octet family (1 IPv4, 2 IPv6) then the address octets. */
void diam_put_addr(struct diam_buf *b, uint32_t code, uint8_t flags, uint16_t family,
		   const void *addr, size_t len);
/* Copy an AVP as it was received (for Failed-AVP), padded. */
void diam_put_raw(struct diam_buf *b, const uint8_t *raw, size_t len);
void diam_group_begin(struct diam_buf *b, uint32_t code, uint8_t flags, uint32_t vendor);
void diam_group_end(struct diam_buf *b);
/* Patch the message length; returns it, or -1 after an overflow or with a
 * group left open. */
long diam_msg_end(struct diam_buf *b);
