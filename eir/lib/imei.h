/* IMEI / IMEISV / PEI parsing and normalisation to the 14-digit TAC+SNR key. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define EIR_IMEI_DIGITS     14	/* TAC (8) + SNR (6): the lookup key */
#define EIR_IMEI_MAX        99999999999999ULL
#define EIR_TAC_DIGITS      8

enum eir_imei_err {
	EIR_IMEI_OK = 0,
	EIR_IMEI_EMPTY,
	EIR_IMEI_NON_DIGIT,
	EIR_IMEI_BAD_LENGTH,
	EIR_IMEI_BAD_CHECK_DIGIT,
};

/* Which 15-digit forms to accept. */
enum eir_imei_flags {
	/* Provisioning: the 15th digit must be the Luhn check digit. */
	EIR_IMEI_STRICT_CD = 0,
	/* Query default: the 15th digit may be the Luhn CD or the spare 0
	 * that TS 23.003 6.2.1 says a mobile transmits instead. */
	EIR_IMEI_ALLOW_SPARE0 = 1 << 0,
	/* Accept any 15th digit (operators whose peers send garbage there). */
	EIR_IMEI_IGNORE_CD = 1 << 1,
	/* Accept the 5G PEI forms imei-<15> and imeisv-<16>. */
	EIR_IMEI_ALLOW_PEI = 1 << 2,
};

/* How the identity arrived, so logs can show what the peer sent. */
enum eir_imei_form {
	EIR_FORM_IMEI14 = 0,	/* TAC+SNR */
	EIR_FORM_IMEI15_CD,	/* TAC+SNR+Luhn check digit */
	EIR_FORM_IMEI15_SPARE,	/* TAC+SNR+spare 0 (MAP, NAS) */
	EIR_FORM_IMEI15_OTHER,	/* TAC+SNR+wrong digit, accepted by EIR_IMEI_IGNORE_CD */
	EIR_FORM_IMEISV,	/* TAC+SNR+SVN */
};

struct eir_imei {
	uint64_t key;		/* 14-digit TAC+SNR as an integer */
	int svn;		/* 0..99, or -1 when absent */
	enum eir_imei_form form;
};

/* Parse a textual IMEI (14, 15 or 16 digits, or a PEI string when allowed).
 * Returns EIR_IMEI_OK or an enum eir_imei_err; *out is valid only on OK. */
int eir_imei_parse(const char *s, size_t len, unsigned flags, struct eir_imei *out);

/* Parse TBCD octets as MAP and GSUP carry them (low nibble first, 0xF filler
 * only at the end). */
int eir_imei_parse_tbcd(const uint8_t *tbcd, size_t len, unsigned flags, struct eir_imei *out);

const char *eir_imei_strerror(int err);

/* Luhn check digit ('0'..'9') of 14 ASCII digits, per TS 23.003 B.2. */
char eir_imei_luhn(const char digits[EIR_IMEI_DIGITS]);

/* 14 digits + NUL. */
void eir_imei_format(uint64_t key, char out[EIR_IMEI_DIGITS + 1]);
/* 15 digits with the Luhn check digit + NUL. */
void eir_imei_format_cd(uint64_t key, char out[EIR_IMEI_DIGITS + 2]);

/* TBCD helpers (TS 29.002 TBCD-STRING): returns the digit count, or -EINVAL
 * for a non-decimal nibble or a filler before the end, -ENOSPC if out is
 * too small. out is NUL-terminated. */
int eir_tbcd_decode(const uint8_t *in, size_t len, char *out, size_t outsz);
/* Returns the octet count written (odd digit counts get a 0xF filler),
 * -EINVAL for a non-digit, -ENOSPC if out is too small. */
int eir_tbcd_encode(const char *digits, uint8_t *out, size_t outsz);
