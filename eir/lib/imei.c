/* IMEI / IMEISV / PEI parsing and normalisation to the 14-digit TAC+SNR key
 * (TS 23.003 6.2, Annex B). Every interface funnels through here. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "imei.h"

static const char *const imei_errstr[] = {
	[EIR_IMEI_OK] = "ok",
	[EIR_IMEI_EMPTY] = "empty IMEI",
	[EIR_IMEI_NON_DIGIT] = "IMEI contains a non-digit",
	[EIR_IMEI_BAD_LENGTH] = "IMEI must have 14, 15 or 16 digits",
	[EIR_IMEI_BAD_CHECK_DIGIT] = "IMEI check digit does not match",
};

const char *eir_imei_strerror(int err)
{
	if (err < 0 || err >= (int)ARRAY_SIZE(imei_errstr) || !imei_errstr[err])
		return "unknown IMEI error";
	return imei_errstr[err];
}

char eir_imei_luhn(const char digits[EIR_IMEI_DIGITS])
{
	return osmo_luhn(digits, EIR_IMEI_DIGITS);
}

static uint64_t digits_to_u64(const char *d, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(d[i] - '0');
	return v;
}

void eir_imei_format(uint64_t key, char out[EIR_IMEI_DIGITS + 1])
{
	for (int i = EIR_IMEI_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + key % 10);
		key /= 10;
	}
	out[EIR_IMEI_DIGITS] = '\0';
}

void eir_imei_format_cd(uint64_t key, char out[EIR_IMEI_DIGITS + 2])
{
	eir_imei_format(key, out);
	out[EIR_IMEI_DIGITS] = eir_imei_luhn(out);
	out[EIR_IMEI_DIGITS + 1] = '\0';
}

/* Classify an all-digit string of 14..16 digits. */
static int imei_from_digits(const char *d, size_t n, unsigned flags, struct eir_imei *out)
{
	out->key = digits_to_u64(d, EIR_IMEI_DIGITS);
	out->svn = -1;
	switch (n) {
	case 14:
		out->form = EIR_FORM_IMEI14;
		return EIR_IMEI_OK;
	case 15:
		if (d[14] == eir_imei_luhn(d)) {
			out->form = EIR_FORM_IMEI15_CD;
		} else if (d[14] == '0' && (flags & (EIR_IMEI_ALLOW_SPARE0 | EIR_IMEI_IGNORE_CD))) {
			out->form = EIR_FORM_IMEI15_SPARE;
		} else if (flags & EIR_IMEI_IGNORE_CD) {
			out->form = EIR_FORM_IMEI15_OTHER;
		} else {
			return EIR_IMEI_BAD_CHECK_DIGIT;
		}
		return EIR_IMEI_OK;
	case 16:
		out->form = EIR_FORM_IMEISV;
		out->svn = (d[14] - '0') * 10 + (d[15] - '0');
		return EIR_IMEI_OK;
	default:
		return EIR_IMEI_BAD_LENGTH;
	}
}

int eir_imei_parse(const char *s, size_t len, unsigned flags, struct eir_imei *out)
{
	size_t want = 0;	/* exact length a PEI prefix demands */

	if (!s || len == 0)
		return EIR_IMEI_EMPTY;
	if (flags & EIR_IMEI_ALLOW_PEI) {
		if (len > 7 && !memcmp(s, "imeisv-", 7)) {
			s += 7, len -= 7, want = 16;
		} else if (len > 5 && !memcmp(s, "imei-", 5)) {
			s += 5, len -= 5, want = 15;
		}
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EIR_IMEI_NON_DIGIT;
	}
	if ((want && len != want) || len < 14 || len > 16)
		return EIR_IMEI_BAD_LENGTH;
	return imei_from_digits(s, len, flags, out);
}

int eir_tbcd_decode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	size_t nibbles = len * 2;

	/* A filler may only stand in the very last nibble. */
	if (len && (in[len - 1] >> 4) == 0xf)
		nibbles--;
	if (outsz < nibbles + 1)
		return -ENOSPC;
	if (osmo_bcd2str(out, outsz, in, 0, (int)nibbles, false) < 0)
		return -EINVAL;
	return (int)nibbles;
}

int eir_tbcd_encode(const char *digits, uint8_t *out, size_t outsz)
{
	size_t n = strlen(digits);
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return -EINVAL;
	}
	if (outsz < (n + 1) / 2)
		return -ENOSPC;
	rc = osmo_str2bcd(out, outsz, digits, 0, (int)n, false);
	if (rc < 0)
		return rc == -ENOMEM ? -ENOSPC : -EINVAL;
	if (n & 1)
		out[n / 2] |= 0xf0;
	return (int)((n + 1) / 2);
}

int eir_imei_parse_tbcd(const uint8_t *tbcd, size_t len, unsigned flags, struct eir_imei *out)
{
	char digits[2 * 8 + 1];
	int n;

	if (!tbcd || len == 0)
		return EIR_IMEI_EMPTY;
	/* 7 octets: 14 digits (GSUP); 8: 15 + filler (MAP IMEI) or 16 (IMEISV). */
	if (len > 8)
		return EIR_IMEI_BAD_LENGTH;
	n = eir_tbcd_decode(tbcd, len, digits, sizeof(digits));
	if (n < 0)
		return EIR_IMEI_NON_DIGIT;
	if (n < 14)
		return EIR_IMEI_BAD_LENGTH;
	return imei_from_digits(digits, (size_t)n, flags, out);
}
