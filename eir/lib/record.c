/* Encoding and decoding of the stored record, keys and IMSIs (record.h). */
#include <errno.h>
#include <string.h>

#include "record.h"

#define REC_STATUS_MASK   0x07
#define REC_HAS_VALID     0x08
#define REC_HAS_PAIRS     0x10
#define REC_LOCKED        0x20
#define REC_KNOWN_BITS    (REC_STATUS_MASK | REC_HAS_VALID | REC_HAS_PAIRS | REC_LOCKED)

static const char *const status_names[EIR_STATUS_COUNT] = {
	[EIR_STATUS_NONE] = "none",
	[EIR_STATUS_ACTIVE] = "active",
	[EIR_STATUS_REGISTERED] = "registered",
	[EIR_STATUS_TRAVELLER] = "traveller",
	[EIR_STATUS_BLOCKED] = "blocked",
	[EIR_STATUS_TRACKED] = "tracked",
	[EIR_STATUS_EXEMPT] = "exempt",
};

const char *eir_status_name(enum eir_status st)
{
	if ((unsigned)st >= EIR_STATUS_COUNT)
		return "invalid";
	return status_names[st];
}

enum eir_status eir_status_from_name(const char *name, size_t len)
{
	for (int st = EIR_STATUS_ACTIVE; st < EIR_STATUS_COUNT; st++) {
		if (strlen(status_names[st]) == len && !memcmp(status_names[st], name, len))
			return (enum eir_status)st;
	}
	return EIR_STATUS_NONE;
}

void eir_u64_put(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t eir_u64_get(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

int eir_record_encode(const struct eir_record *rec, uint8_t out[EIR_RECORD_MAX])
{
	uint8_t b0 = rec->status & REC_STATUS_MASK;

	if (rec->flags & EIR_REC_HAS_PAIRS)
		b0 |= REC_HAS_PAIRS;
	if (rec->flags & EIR_REC_LOCKED)
		b0 |= REC_LOCKED;
	out[1] = rec->reason;
	if (!rec->valid_until) {
		out[0] = b0;
		return 2;
	}
	out[0] = b0 | REC_HAS_VALID;
	out[2] = (uint8_t)(rec->valid_until >> 24);
	out[3] = (uint8_t)(rec->valid_until >> 16);
	out[4] = (uint8_t)(rec->valid_until >> 8);
	out[5] = (uint8_t)rec->valid_until;
	return 6;
}

int eir_record_decode(const uint8_t *in, size_t len, struct eir_record *rec)
{
	uint8_t st;

	if (len != 2 && len != 6)
		return -EBADMSG;
	if (in[0] & ~REC_KNOWN_BITS)
		return -EBADMSG;
	st = in[0] & REC_STATUS_MASK;
	if (st == EIR_STATUS_NONE || st >= EIR_STATUS_COUNT)
		return -EBADMSG;
	if (!!(in[0] & REC_HAS_VALID) != (len == 6))
		return -EBADMSG;
	/* Locked to pairs without pairs would lock out everyone: never written. */
	if ((in[0] & REC_LOCKED) && !(in[0] & REC_HAS_PAIRS))
		return -EBADMSG;
	rec->status = st;
	rec->flags = ((in[0] & REC_HAS_PAIRS) ? EIR_REC_HAS_PAIRS : 0) |
		     ((in[0] & REC_LOCKED) ? EIR_REC_LOCKED : 0);
	rec->reason = in[1];
	rec->valid_until = 0;
	if (len == 6) {
		rec->valid_until = ((uint32_t)in[2] << 24) | ((uint32_t)in[3] << 16) |
				   ((uint32_t)in[4] << 8) | in[5];
		if (!rec->valid_until)
			return -EBADMSG;
	}
	return 0;
}

#define IMSI_LEN_SHIFT 56
#define IMSI_VALUE_MASK ((1ULL << IMSI_LEN_SHIFT) - 1)

int eir_imsi_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	/* TS 23.003 2.2: MCC (3) + MNC (2-3) + MSIN, at most 15 digits. */
	if (len < 6 || len > 15)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = ((uint64_t)len << IMSI_LEN_SHIFT) | v;
	return 0;
}

void eir_imsi_format(uint64_t imsi, char out[16])
{
	unsigned n = (unsigned)(imsi >> IMSI_LEN_SHIFT);
	uint64_t v = imsi & IMSI_VALUE_MASK;

	if (n > 15)
		n = 15;
	out[n] = '\0';
	while (n--) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}
