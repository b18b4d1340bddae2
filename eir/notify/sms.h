/* The text of a warning SMS: UTF-8 in, the coding a phone
 * reads out (the GSM 7-bit default alphabet of TS 23.038 when every
 * character has a place in it or its extension table, else UCS-2, as
 * Persian text always is), and the segments of a long text, each with the
 * concatenation header of TS 23.040 9.2.3.24.1 that a phone reassembles.
 * Pure: no I/O, no SMPP; the PDUs are libsmpp34's. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The SMPP data_coding of each (SMPP 3.4 5.2.19). */
enum sms_coding {
	SMS_GSM7 = 0x00,	/* SMSC default alphabet: GSM 7-bit, one septet per octet
				 * (unpacked: up to 160 octets of short_message) */
	SMS_UCS2 = 0x08,	/* UCS-2, big-endian */
};

#define SMS_SINGLE_GSM7 160	/* septets in one SMS */
#define SMS_SINGLE_UCS2 70	/* UCS-2 characters in one SMS */
#define SMS_PART_GSM7 153	/* ... in one part of a concatenated SMS (6-octet header) */
#define SMS_PART_UCS2 67
#define SMS_UDH_LEN 6		/* 05 00 03 ref total seq */
#define SMS_MAX_PARTS 255

/* The text as units of its coding: septets (an extension character is
 * two: 0x1B then its code) or UTF-16 code units (a character outside the
 * BMP is a surrogate pair). */
struct sms_text {
	enum sms_coding coding;
	uint16_t *u;
	size_t n;
};

/* 0, -EILSEQ for input that is not UTF-8 (or holds NUL), -ENOMEM. */
int sms_text_from_utf8(const char *s, size_t len, struct sms_text *t);
void sms_text_free(struct sms_text *t);

/* One part: units [first, first + n). */
struct sms_part {
	size_t first, n;
};

/* Split into parts: one when the text fits a single SMS, else parts of at
 * most 153 septets or 67 UCS-2 units that never cut an extension pair or
 * a surrogate pair. Returns the number of parts (at least 1, an empty
 * text is one empty part), or 0 when more than max would be needed. */
size_t sms_split(const struct sms_text *t, struct sms_part *parts, size_t max);

/* The short_message octets of part seq (1-based) of total: the
 * concatenation header (when total > 1) then the units, one octet per
 * septet or two per UCS-2 unit. Returns the length, 0 when out is too
 * small. */
size_t sms_part_octets(const struct sms_text *t, const struct sms_part *p, uint8_t ref, uint8_t total,
		       uint8_t seq, uint8_t *out, size_t outsz);
