/* Unit tests: BER edge cases, and MAP CheckIMEI over TCAP against the
 * worked examples of docs/protocols.md §3.5 (byte-identical answers),
 * the vendor variants and every refusal path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <osmocom/core/utils.h>

#include "ber.h"
#include "record.h"
#include "checkimei.h"
#include "tcap.h"

/* ------------------------------------------------------------- BER */

static void test_ber_lengths(void **state)
{
	static const uint8_t short_form[] = { 0x04, 0x02, 0xaa, 0xbb };
	static const uint8_t long1[] = { 0x04, 0x81, 0x02, 0xaa, 0xbb };
	static const uint8_t long2[] = { 0x04, 0x82, 0x00, 0x02, 0xaa, 0xbb };
	static const uint8_t five[] = { 0x04, 0x85, 0, 0, 0, 0, 2, 0xaa, 0xbb };
	static const uint8_t oversize[] = { 0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0xaa };
	static const uint8_t truncated[] = { 0x04, 0x03, 0xaa, 0xbb };
	static const uint8_t trunc_len[] = { 0x04, 0x82, 0x00 };
	struct ber_tlv t;

	assert_int_equal(ber_read(short_form, sizeof(short_form), &t), BER_OK);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.raw_len, 4);
	assert_int_equal(ber_read(long1, sizeof(long1), &t), BER_OK);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.val[1], 0xbb);
	assert_int_equal(ber_read(long2, sizeof(long2), &t), BER_OK);
	assert_int_equal(t.raw_len, 6);
	assert_int_equal(ber_read(five, sizeof(five), &t), BER_ELENGTH);
	assert_int_equal(ber_read(oversize, sizeof(oversize), &t), BER_ETRUNC);
	assert_int_equal(ber_read(truncated, sizeof(truncated), &t), BER_ETRUNC);
	assert_int_equal(ber_read(trunc_len, sizeof(trunc_len), &t), BER_ETRUNC);
	assert_int_equal(ber_read(short_form, 1, &t), BER_ETRUNC);
}

static void test_ber_indefinite(void **state)
{
	/* 30 80 { 04 01 aa, 30 80 { 02 01 05 } 00 00 } 00 00 */
	static const uint8_t nested[] = { 0x30, 0x80, 0x04, 0x01, 0xaa, 0x30, 0x80, 0x02, 0x01, 0x05,
					  0x00, 0x00, 0x00, 0x00, 0xee };
	static const uint8_t unterminated[] = { 0x30, 0x80, 0x04, 0x01, 0xaa };
	static const uint8_t primitive[] = { 0x04, 0x80, 0xaa, 0x00, 0x00 };
	uint8_t deep[2 * (BER_MAX_DEPTH + 2) + 2 * (BER_MAX_DEPTH + 2)];
	struct ber_tlv t, inner;
	struct ber_iter it;
	int32_t v;

	assert_int_equal(ber_read(nested, sizeof(nested), &t), BER_OK);
	assert_int_equal(t.len, 10);
	assert_int_equal(t.raw_len, 14);	/* the trailing 0xee is not part of it */
	ber_iter_init(&it, t.val, t.len);
	assert_int_equal(ber_next(&it, &inner), 1);
	assert_int_equal(inner.id, 0x04);
	assert_int_equal(ber_next(&it, &inner), 1);
	assert_int_equal(inner.id, 0x30);
	assert_int_equal(inner.len, 3);
	assert_int_equal(ber_read(inner.val, inner.len, &t), BER_OK);
	assert_int_equal(ber_int(&t, &v), BER_OK);
	assert_int_equal(v, 5);
	assert_int_equal(ber_next(&it, &inner), 0);
	assert_int_equal(ber_read(unterminated, sizeof(unterminated), &t), BER_EINDEF);
	assert_int_equal(ber_read(primitive, sizeof(primitive), &t), BER_EINDEF);
	/* Nesting deeper than we follow is refused, not recursed into. */
	for (unsigned i = 0; i < BER_MAX_DEPTH + 2; i++)
		deep[2 * i] = 0x30, deep[2 * i + 1] = 0x80;
	memset(deep + 2 * (BER_MAX_DEPTH + 2), 0, 2 * (BER_MAX_DEPTH + 2));
	assert_int_equal(ber_read(deep, sizeof(deep), &t), BER_EDEPTH);
}

static void test_ber_tags_ints(void **state)
{
	static const uint8_t high[] = { 0x9f, 0x81, 0x00, 0x01, 0x07 };	/* [128] */
	static const uint8_t bad_high[] = { 0x9f, 0x05, 0x01, 0x07 };		/* < 31 in high form */
	static const uint8_t neg[] = { 0x02, 0x01, 0xff };
	static const uint8_t big[] = { 0x02, 0x05, 1, 2, 3, 4, 5 };
	struct ber_tlv t;
	int32_t v;

	assert_int_equal(ber_read(high, sizeof(high), &t), BER_OK);
	assert_int_equal(t.tag, 128);
	assert_int_equal(t.cls, BER_CONTEXT);
	assert_int_equal(ber_read(bad_high, sizeof(bad_high), &t), BER_ETAG);
	assert_int_equal(ber_read(neg, sizeof(neg), &t), BER_OK);
	assert_int_equal(ber_int(&t, &v), BER_OK);
	assert_int_equal(v, -1);
	assert_int_equal(ber_read(big, sizeof(big), &t), BER_OK);
	assert_int_equal(ber_int(&t, &v), BER_ELENGTH);
}

static void test_ber_writer(void **state)
{
	uint8_t buf[400], big[300];
	struct ber_w w;
	struct ber_tlv t, inner;

	memset(big, 0x5a, sizeof(big));
	ber_w_init(&w, buf, sizeof(buf));
	ber_w_open(&w, 0x30);
	ber_w_int(&w, 0x02, 127);
	ber_w_int(&w, 0x02, 128);
	ber_w_int(&w, 0x02, -129);
	ber_w_open(&w, 0x30);
	ber_w_prim(&w, 0x04, big, 200);		/* long form 81 c8 */
	ber_w_close(&w);
	ber_w_close(&w);				/* long form 81 d9 */
	assert_int_equal(ber_w_done(&w), 3 + 3 + 4 + 4 + 3 + 3 + 200);
	assert_memory_equal(buf, ((uint8_t[]){ 0x30, 0x81, 0xd9, 0x02, 0x01, 0x7f, 0x02, 0x02, 0x00, 0x80,
					       0x02, 0x02, 0xff, 0x7f, 0x30, 0x81, 0xcb, 0x04, 0x81, 0xc8 }), 20);
	assert_int_equal(ber_read(buf, (size_t)ber_w_done(&w), &t), BER_OK);
	assert_int_equal(t.raw_len, (size_t)ber_w_done(&w));
	assert_int_equal(ber_read(t.val + 11, t.len - 11, &inner), BER_OK);
	assert_int_equal(inner.len, 203);
	/* Overflow is sticky and reported once. */
	ber_w_init(&w, buf, 10);
	ber_w_prim(&w, 0x04, big, 20);
	ber_w_int(&w, 0x02, 1);
	assert_int_equal(ber_w_done(&w), -1);
	/* An element left open is an error too. */
	ber_w_init(&w, buf, sizeof(buf));
	ber_w_open(&w, 0x30);
	assert_int_equal(ber_w_done(&w), -1);
}

/* ------------------------------------------------------- CheckIMEI */

static struct {
	enum eir_verdict verdict;
	enum eir_branch branch;
	unsigned calls;
	struct eir_query last;
	unsigned events[MAP_EV_COUNT];
} T;

static void fake_check(void *ctx, const struct eir_query *q, struct eir_result *res)
{
	memset(res, 0, sizeof(*res));
	res->verdict = T.verdict;
	res->branch = T.branch;
	T.calls++;
	T.last = *q;
}

static void count_ev(void *ctx, enum map_event ev)
{
	T.events[ev]++;
}

static void reset(enum eir_verdict v, enum eir_branch b)
{
	memset(&T, 0, sizeof(T));
	T.verdict = v;
	T.branch = b;
}

/* Run hex through the handler with max_version and compare the answer
 * (an empty expected string: discarded). */
static void expect(int max_version, const char *in_hex, const char *out_hex)
{
	struct map_eir eir = {
		.check = fake_check, .count = count_ev, .max_version = max_version,
		.imei_flags = 1 /* EIR_IMEI_ALLOW_SPARE0 */,
	};
	uint8_t in[512], out[MAP_MAX_ANSWER];
	char got[2 * MAP_MAX_ANSWER + 1];
	int n = osmo_hexparse(in_hex, in, sizeof(in));
	long m;

	assert_true(n > 0);
	m = map_eir_handle(&eir, in, (size_t)n, out, sizeof(out));
	assert_true(m >= 0);
	osmo_strlcpy(got, osmo_hexdump_nospc(out, (size_t)m), sizeof(got));
	assert_string_equal(got, out_hex);
}

/* docs/protocols.md §3.5 */
#define BEGIN_V2 "623a4804000000016b1e281c060700118605010101a011600f80020780a109060704000001000d026c12a11002010102012b040853029900711684f0"
#define END_V2_WHITE "64414904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d02a203020100a305a1030201006c0da20b020101300602012b0a0100"
#define BEGIN_V3 "62404804000000016b1e281c060700118605010101a011600f80020780a109060704000001000d036c18a11602010102012b300e040853029900711684f003020680"
#define END_V3_BLACK "64434904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020100a305a1030201006c0fa20d020101300802012b30030a0101"
#define END_V3_UNKNOWN "643c4904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020100a305a1030201006c08a306020101020107"
#define END_V2_SYSFAIL "643f4904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d02a203020100a305a1030201006c0ba3090201010201220a0106"
#define END_V3_SYSFAIL "64414904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020100a305a1030201006c0da30b02010102012230030a0106"
#define BEGIN_V1 "621a4804000000016c12a11002010102012b040853029900711684f0"
#define END_V1_WHITE "64154904000000016c0da20b020101300602012b0a0100"
#define ABORT_OFFER_V2 "67324904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d02a203020101a305a103020102"
#define P_ABORT_UNKNOWN_TID "67094904000000014a0101"
#define END_V3_REJECT_OP "643c4904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020100a305a1030201006c08a406020101810101"

#define DLG_V2 "6b1e281c060700118605010101a011600f80020780a109060704000001000d02"
#define DLG_V3 "6b1e281c060700118605010101a011600f80020780a109060704000001000d03"
#define AARE_V2_OK "6b2a2828060700118605010101a01d611b80020780a109060704000001000d02a203020100a305a103020100"
#define AARE_V3_OK "6b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020100a305a103020100"

static void test_protocol_examples(void **state)
{
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, BEGIN_V2, END_V2_WHITE);
	assert_int_equal(T.calls, 1);
	assert_int_equal(T.last.imei_err, 0);
	assert_int_equal(T.last.imei.key, 35209900176148ULL);
	assert_int_equal(T.last.imsi, 0);
	assert_int_equal(T.events[MAP_EV_RX_V2], 1);
	assert_int_equal(T.events[MAP_EV_TX_WHITE], 1);

	reset(EIR_BLACKLISTED, EIR_BR_BLOCKED);
	expect(3, BEGIN_V3, END_V3_BLACK);
	assert_int_equal(T.events[MAP_EV_RX_V3], 1);
	assert_int_equal(T.events[MAP_EV_TX_BLACK], 1);

	reset(EIR_UNKNOWN, EIR_BR_UNKNOWN);
	expect(3, BEGIN_V3, END_V3_UNKNOWN);
	assert_int_equal(T.events[MAP_EV_TX_UNKNOWN_EQUIPMENT], 1);

	reset(EIR_UNKNOWN, EIR_BR_FAILURE);
	expect(3, BEGIN_V2, END_V2_SYSFAIL);
	expect(3, BEGIN_V3, END_V3_SYSFAIL);
	assert_int_equal(T.events[MAP_EV_TX_SYSTEM_FAILURE], 2);

	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, BEGIN_V1, END_V1_WHITE);
	assert_int_equal(T.events[MAP_EV_RX_V1], 1);

	/* An EIR configured for v2 refuses v3 and offers v2. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(2, BEGIN_V3, ABORT_OFFER_V2);
	assert_int_equal(T.calls, 0);
	assert_int_equal(T.events[MAP_EV_TX_AC_REFUSED], 1);

	/* Continue of a transaction we never had. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "650e4804000000014904000000096c00", P_ABORT_UNKNOWN_TID);
	expect(3, "650c480400000001490400000009", P_ABORT_UNKNOWN_TID);
	assert_int_equal(T.events[MAP_EV_TX_P_ABORT], 2);

	/* Another operation (44) in a v3 dialogue. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "62404804000000016b1e281c060700118605010101a011600f80020780a109060704000001000d036c18a11602010102012c300e040853029900711684f003020680",
	       END_V3_REJECT_OP);
	assert_int_equal(T.events[MAP_EV_ERR_OPERATION], 1);
	assert_int_equal(T.calls, 0);
}

static void test_greylisted_and_v3_options(void **state)
{
	reset(EIR_GREYLISTED, EIR_BR_UNKNOWN);
	expect(3, BEGIN_V2, "64414904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d02a203020100a305a1030201006c0da20b020101300602012b0a0102");
	/* v3 without requestedEquipmentInfo (Ericsson-style): status returned. */
	reset(EIR_GREYLISTED, EIR_BR_UNKNOWN);
	expect(3, "623c480400000001" DLG_V3 "6c14a11202010102012b300a040853029900711684f0",
	       "6443490400000001" AARE_V3_OK "6c0fa20d020101300802012b30030a0102");
	/* Only BMUEF requested, with an IMEISV: an empty CheckIMEI-Res. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "6240480400000001" DLG_V3 "6c18a11602010102012b300e040853029900711684150302064" "0",
	       "6440490400000001" AARE_V3_OK "6c0ca20a020101300502012b3000");
	assert_int_equal(T.last.imei.svn, 51);
	/* BMUEF without the IMEISV: dataMissing. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "6240480400000001" DLG_V3 "6c18a11602010102012b300e040853029900711684f003020640",
	       "643c490400000001" AARE_V3_OK "6c08a306020101020123");
	assert_int_equal(T.events[MAP_EV_TX_DATA_MISSING], 1);
	assert_int_equal(T.calls, 0);
}

static uint64_t imsi_724340300385763(void)
{
	uint64_t v = 0;

	assert_int_equal(eir_imsi_parse("724340300385763", 15, &v), 0);
	return v;
}

static void test_vendor_variants(void **state)
{
	/* Huawei: IMEI then an element of tag 0 carrying the IMSI. */
	reset(EIR_WHITELISTED, EIR_BR_PAIRED);
	expect(3, "6244480400000001" DLG_V2 "6c1ca11a02010102012b040853467640949819f000082734040330" "5867f3",
	       "6441490400000001" AARE_V2_OK "6c0da20b020101300602012b0a0100");
	assert_int_equal(T.last.imei.key, 35646704498991ULL);
	assert_int_equal(T.last.imsi, imsi_724340300385763());
	/* Ericsson: [PRIVATE 1] IMSI inside the SEQUENCE. */
	reset(EIR_WHITELISTED, EIR_BR_PAIRED);
	expect(3, "624a480400000001" DLG_V3 "6c22a12002010102012b3018040853029900711684f003020680c1082734040330" "5867f3",
	       "6443490400000001" AARE_V3_OK "6c0fa20d020101300802012b30030a0100");
	assert_int_equal(T.last.imsi, imsi_724340300385763());
}

static void test_ber_forms_accepted(void **state)
{
	/* Indefinite lengths on the message, the component portion and the
	 * invoke; long-form lengths: the same answer as the definite v2 Begin. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "6280480400000001" DLG_V2 "6c80a18002010102012b040853029900711684f0000000000000", END_V2_WHITE);
	expect(3, "62813c4804000000016b1e281c060700118605010101a011600f80020780a109060704000001000d026c8200" "12a11002010102012b040853029900711684f0",
	       END_V2_WHITE);
	/* Non-decimal IMEI digits: a policy matter (invalid IMEI), not an error. */
	reset(EIR_BLACKLISTED, EIR_BR_INVALID);
	expect(3, "623a480400000001" DLG_V2 "6c12a11002010102012b0408530299007116a4f0",
	       "6441490400000001" AARE_V2_OK "6c0da20b020101300602012b0a0101");
	assert_int_not_equal(T.last.imei_err, 0);
}

static void test_refusals(void **state)
{
	/* No argument, and an IMEI of the wrong size: Reject mistypedArgument. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "6230480400000001" DLG_V2 "6c08a10602010102012b", "643c490400000001" AARE_V2_OK "6c08a406020101810102");
	expect(3, "6239480400000001" DLG_V2 "6c11a10f02010102012b04075302990071168" "4",
	       "643c490400000001" AARE_V2_OK "6c08a406020101810102");
	/* v3 SEQUENCE without the IMEI. */
	expect(3, "6236480400000001" DLG_V3 "6c0ea10c02010102012b300403020680", "643c490400000001" AARE_V3_OK "6c08a406020101810102");
	assert_int_equal(T.events[MAP_EV_ERR_ARGUMENT], 3);
	assert_int_equal(T.calls, 0);
	/* Unknown AC (another MAP AC, 0.4.0.0.1.0.1.3) and an explicit v1 AC:
	 * refused offering v3. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "623a4804000000016b1e281c060700118605010101a011600f80020780a1090607040000010001036c12a11002010102012b040853029900711684f0",
	       "67324904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020101a305a103020102");
	expect(3, "623a4804000000016b1e281c060700118605010101a011600f80020780a109060704000001000d016c12a11002010102012b040853029900711684f0",
	       "67324904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d03a203020101a305a103020102");
	/* AARQ protocol version without version1: no common dialogue portion. */
	expect(3, "623a4804000000016b1e281c060700118605010101a011600f80020700a109060704000001000d026c12a11002010102012b040853029900711684f0",
	       "67324904000000016b2a2828060700118605010101a01d611b80020780a109060704000001000d02a203020101a305a203020102");
	/* AARQ without an AC: badly formatted, P-Abort. */
	expect(3, "622f480400000001" "6b132811060700118605010101a006600480020780" "6c12a11002010102012b040853029900711684f0",
	       "67094904000000014a0102");
	assert_int_equal(T.calls, 0);
	/* ReturnResult and ReturnError in a Begin: Reject, with the invoke id. */
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	expect(3, "6231480400000001" DLG_V2 "6c09a207020105300202" "01",
	       "643c490400000001" AARE_V2_OK "6c08a406020105820100");
	expect(3, "6230480400000001" DLG_V2 "6c08a306020106020107", "643c490400000001" AARE_V2_OK "6c08a406020106830100");
	/* An unknown component: Reject general with a NULL invoke id. */
	expect(3, "622d480400000001" DLG_V2 "6c05a803020101", "643b490400000001" AARE_V2_OK "6c07a40505008001" "00");
	/* A Reject in a Begin is not answered with a Reject: an End. */
	expect(3, "6230480400000001" DLG_V2 "6c08a406020101810101", "6432490400000001" AARE_V2_OK);
	/* Broken component portion BER: Reject badly structured. */
	expect(3, "622b480400000001" DLG_V2 "6c03a10502", "643b490400000001" AARE_V2_OK "6c07a40505008001" "02");
	/* Linked id: nothing to link to. */
	expect(3, "623d480400000001" DLG_V2 "6c15a11302010180010102012b040853029900711684f0",
	       "643c490400000001" AARE_V2_OK "6c08a406020101810105");
	assert_int_equal(T.calls, 0);
}

static void test_discards(void **state)
{
	reset(EIR_WHITELISTED, EIR_BR_ACTIVE);
	/* Truncated Begin, End, Abort, Unidirectional, not even BER. */
	expect(3, "623a480400000001", "");
	expect(3, END_V2_WHITE, "");
	expect(3, P_ABORT_UNKNOWN_TID, "");
	expect(3, "61056c03a10100", "");
	expect(3, "ffffffff", "");
	/* Begin without otid, or with a 5-octet otid. */
	expect(3, "62146c12a11002010102012b040853029900711684f0", "");
	expect(3, "621b480500000000016c12a11002010102012b040853029900711684f0", "");
	assert_int_equal(T.events[MAP_EV_DISCARDED], 7);
	/* Unknown message type with an otid: P-Abort unrecognizedMessageType. */
	expect(3, "6806480400000001", "67094904000000014a0100");
	/* Trailing octets after the Begin: badly formatted. */
	expect(3, BEGIN_V1 "00", "67094904000000014a0102");
	assert_int_equal(T.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ber_lengths),
		cmocka_unit_test(test_ber_indefinite),
		cmocka_unit_test(test_ber_tags_ints),
		cmocka_unit_test(test_ber_writer),
		cmocka_unit_test(test_protocol_examples),
		cmocka_unit_test(test_greylisted_and_v3_options),
		cmocka_unit_test(test_vendor_variants),
		cmocka_unit_test(test_ber_forms_accepted),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_discards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
