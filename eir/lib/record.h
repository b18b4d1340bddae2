/* The LMDB record schema (docs/data-model.md): sub-database names, key and value
 * encodings, statuses and meta keys. The only definition of the on-disk
 * format; the daemon and every tool use it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EIR_SCHEMA_VERSION 1

/* Sub-databases. */
#define EIR_DBI_IMEI  "imei"	/* u64 BE IMEI -> record */
#define EIR_DBI_RANGE "range"	/* u64 BE first -> u64 BE last + record */
#define EIR_DBI_PAIR  "pair"	/* u64 BE IMEI -> u64 BE IMSI, dupsort dupfixed */
#define EIR_DBI_META  "meta"	/* string -> value (see EIR_META_*) */
#define EIR_DBI_FIRST_SEEN "first_seen"	/* u64 BE IMEI -> u32 BE unix seconds: imported first sightings */
/* first_seen is not registry data: a replacement (a full snapshot) carries
 * it over into the new generation unchanged. A database written before it
 * existed has none and reads as "no first sighting"; the schema version
 * stays. A stored time is never 0. */

/* Meta keys. Integers are stored as 8-byte big-endian, strings as bytes. */
#define EIR_META_SCHEMA        "schema"		/* u64 */
#define EIR_META_KIND          "snapshot.kind"	/* "full" | "delta" */
#define EIR_META_SEQ           "snapshot.seq"	/* u64 */
#define EIR_META_SOURCE        "snapshot.source"
#define EIR_META_CREATED       "snapshot.created"	/* u64 unix seconds */
#define EIR_META_IMPORTED      "snapshot.imported"	/* u64 unix seconds */
#define EIR_META_HISTORY       "snapshot.history"	/* the applied snapshots, one text line each */
#define EIR_META_COUNT_PREFIX  "count."		/* count.<status>, count.range, count.pair, count.first_seen */
#define EIR_META_FS_IMPORTED   "first_seen.imported"	/* u64 unix seconds: the last first-seen file applied */
#define EIR_META_FS_SOURCE     "first_seen.source"	/* that file's name */
#define EIR_META_REASON_PREFIX "reason."	/* reason.<id> -> name */

/* Registry statuses. 0 is never stored. */
enum eir_status {
	EIR_STATUS_NONE = 0,
	EIR_STATUS_ACTIVE,	/* registered and activated */
	EIR_STATUS_REGISTERED,	/* cleared, not yet activated */
	EIR_STATUS_TRAVELLER,	/* valid until a date */
	EIR_STATUS_BLOCKED,	/* stolen, lost, cloned, counterfeit ... */
	EIR_STATUS_TRACKED,	/* grey on purpose */
	EIR_STATUS_EXEMPT,	/* never blocked */
	EIR_STATUS_COUNT
};

/* Record flags. */
enum eir_record_flags {
	EIR_REC_HAS_PAIRS = 1 << 0,	/* the pair sub-db holds IMSIs for this IMEI */
	EIR_REC_LOCKED = 1 << 1,	/* only the paired IMSIs may use it */
};

/* The decoded form of a stored record. reason is an id into the reason
 * dictionary (0 = none); valid_until is unix seconds (0 = no limit). */
struct eir_record {
	uint8_t status;
	uint8_t flags;
	uint8_t reason;
	uint32_t valid_until;
};

/* Encoded value: 2 octets, or 6 with a validity date.
 *   octet 0: bits 0-2 status, bit 3 has-valid-until, bit 4 has-pairs, bit 5 locked
 *   octet 1: reason id
 *   octets 2-5: valid_until, big-endian (only when bit 3 is set) */
#define EIR_RECORD_MAX 6
#define EIR_RANGE_VALUE_MAX (8 + EIR_RECORD_MAX)
#define EIR_MAX_PAIRS 10

int eir_record_encode(const struct eir_record *rec, uint8_t out[EIR_RECORD_MAX]);
/* Returns 0, or -EBADMSG for a value that no writer of this schema makes. */
int eir_record_decode(const uint8_t *in, size_t len, struct eir_record *rec);

const char *eir_status_name(enum eir_status st);
/* Returns EIR_STATUS_NONE for an unknown name. */
enum eir_status eir_status_from_name(const char *name, size_t len);

/* 8-byte big-endian keys, so that numeric order is key order. */
void eir_u64_put(uint8_t out[8], uint64_t v);
uint64_t eir_u64_get(const uint8_t in[8]);

/* An IMSI (5..15 digits, leading zeros significant) packed into a u64: the
 * digit count in the top byte, the value below. 0 means "no IMSI". */
int eir_imsi_parse(const char *s, size_t len, uint64_t *out);
/* Up to 15 digits + NUL. */
void eir_imsi_format(uint64_t imsi, char out[16]);
