/* The text of a warning SMS (sms.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

/* TS 23.038 6.2.1: the GSM 7-bit default alphabet, by septet. */
static const uint16_t gsm7[128] = {
	0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
	0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
	0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
	0x03A3, 0x0398, 0x039E, 0xFFFF /* escape */, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
	0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* TS 23.038 6.2.1.1: the extension table, reached through the escape. */
static const struct {
	uint8_t septet;
	uint16_t cp;
} gsm7_ext[] = {
	{ 0x0A, 0x000C }, { 0x14, 0x005E }, { 0x28, 0x007B }, { 0x29, 0x007D }, { 0x2F, 0x005C },
	{ 0x3C, 0x005B }, { 0x3D, 0x007E }, { 0x3E, 0x005D }, { 0x40, 0x007C }, { 0x65, 0x20AC },
};

#define ESC 0x1B

/* Septets for code point cp: 1 or 2 (extension), 0 when it has none. */
static int to_gsm7(uint32_t cp, uint16_t out[2])
{
	for (int i = 0; i < 128; i++) {
		if (gsm7[i] == cp && i != ESC) {
			out[0] = (uint16_t)i;
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(gsm7_ext) / sizeof(gsm7_ext[0]); i++) {
		if (gsm7_ext[i].cp == cp) {
			out[0] = ESC;
			out[1] = gsm7_ext[i].septet;
			return 2;
		}
	}
	return 0;
}

/* Next code point of a UTF-8 string (strict: shortest form, no
 * surrogates, at most U+10FFFF); -1 on a bad sequence. */
static int64_t next_cp(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n;

	if (s[0] < 0x80)
		cp = s[0], n = 1;
	else if ((s[0] & 0xE0) == 0xC0)
		cp = s[0] & 0x1F, n = 2;
	else if ((s[0] & 0xF0) == 0xE0)
		cp = s[0] & 0x0F, n = 3;
	else if ((s[0] & 0xF8) == 0xF0)
		cp = s[0] & 0x07, n = 4;
	else
		return -1;
	if (end - s < n)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*p = s + n;
	return cp;
}

int sms_text_from_utf8(const char *str, size_t len, struct sms_text *t)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len, *p;
	bool gsm = true;
	size_t n = 0;
	uint16_t tmp[2];
	int64_t cp;

	memset(t, 0, sizeof(*t));
	/* First pass: validity, coding and size. */
	for (p = s; p < end;) {
		if ((cp = next_cp(&p, end)) <= 0)
			return -EILSEQ;
		if (gsm && !to_gsm7((uint32_t)cp, tmp))
			gsm = false;
	}
	t->coding = gsm ? SMS_GSM7 : SMS_UCS2;
	for (p = s; p < end;) {
		cp = next_cp(&p, end);
		n += gsm ? (size_t)to_gsm7((uint32_t)cp, tmp) : cp >= 0x10000 ? 2 : 1;
	}
	t->u = malloc((n ? n : 1) * sizeof(*t->u));
	if (!t->u)
		return -ENOMEM;
	for (p = s; p < end;) {
		cp = next_cp(&p, end);
		if (gsm) {
			int k = to_gsm7((uint32_t)cp, tmp);
			for (int i = 0; i < k; i++)
				t->u[t->n++] = tmp[i];
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			t->u[t->n++] = (uint16_t)(0xD800 | (cp >> 10));
			t->u[t->n++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
		} else {
			t->u[t->n++] = (uint16_t)cp;
		}
	}
	return 0;
}

void sms_text_free(struct sms_text *t)
{
	free(t->u);
	t->u = NULL;
	t->n = 0;
}

/* A part may not end between the two units of one character. */
static bool cuts_pair(const struct sms_text *t, size_t at)
{
	if (at == 0 || at >= t->n)
		return false;
	if (t->coding == SMS_GSM7) {
		/* An escape opens a pair; count the escapes before `at` that
		 * open one (an escape's second unit is never an escape). */
		size_t i = 0;
		bool open = false;
		while (i < at) {
			open = t->u[i] == ESC;
			i += open ? 2 : 1;
		}
		return i > at;
	}
	return t->u[at - 1] >= 0xD800 && t->u[at - 1] <= 0xDBFF;
}

size_t sms_split(const struct sms_text *t, struct sms_part *parts, size_t max)
{
	size_t single = t->coding == SMS_GSM7 ? SMS_SINGLE_GSM7 : SMS_SINGLE_UCS2;
	size_t part = t->coding == SMS_GSM7 ? SMS_PART_GSM7 : SMS_PART_UCS2;
	size_t k = 0, at = 0;

	if (!max)
		return 0;
	if (t->n <= single) {
		parts[0] = (struct sms_part){ 0, t->n };
		return 1;
	}
	while (at < t->n) {
		size_t n = t->n - at < part ? t->n - at : part;

		if (cuts_pair(t, at + n))
			n--;
		if (k == max || k == SMS_MAX_PARTS)
			return 0;
		parts[k++] = (struct sms_part){ at, n };
		at += n;
	}
	return k;
}

size_t sms_part_octets(const struct sms_text *t, const struct sms_part *p, uint8_t ref, uint8_t total,
		       uint8_t seq, uint8_t *out, size_t outsz)
{
	size_t len = (total > 1 ? SMS_UDH_LEN : 0) + p->n * (t->coding == SMS_GSM7 ? 1 : 2), o = 0;

	if (len > outsz)
		return 0;
	if (total > 1) {
		/* UDHL 5; IEI 00 (concatenation, 8-bit reference), its length 3 */
		out[o++] = 0x05, out[o++] = 0x00, out[o++] = 0x03;
		out[o++] = ref, out[o++] = total, out[o++] = seq;
	}
	for (size_t i = p->first; i < p->first + p->n; i++) {
		if (t->coding == SMS_GSM7) {
			out[o++] = (uint8_t)t->u[i];
		} else {
			out[o++] = (uint8_t)(t->u[i] >> 8);
			out[o++] = (uint8_t)t->u[i];
		}
	}
	return o;
}
