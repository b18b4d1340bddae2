/* Unit tests: IMEI forms and errors, Luhn vectors, TBCD vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "imei.h"

static int parse(const char *s, unsigned flags, struct eir_imei *out)
{
	return eir_imei_parse(s, strlen(s), flags, out);
}

static void test_luhn_vectors(void **state)
{
	/* TS 23.003 B.3 and docs/protocols.md §7. */
	assert_int_equal(eir_imei_luhn("26053179311383"), '7');
	assert_int_equal(eir_imei_luhn("49015420323751"), '8');
	assert_int_equal(eir_imei_luhn("35209900176148"), '1');
	assert_int_equal(eir_imei_luhn("35809101685355"), '5');
	assert_int_equal(eir_imei_luhn("00000000000000"), '0');
}

static void test_forms(void **state)
{
	struct eir_imei i;

	assert_int_equal(parse("35209900176148", 0, &i), EIR_IMEI_OK);
	assert_true(i.key == 35209900176148ULL);
	assert_int_equal(i.form, EIR_FORM_IMEI14);
	assert_int_equal(i.svn, -1);

	assert_int_equal(parse("352099001761481", 0, &i), EIR_IMEI_OK);
	assert_true(i.key == 35209900176148ULL);
	assert_int_equal(i.form, EIR_FORM_IMEI15_CD);

	/* The spare 0 on MAP is accepted only when allowed. */
	assert_int_equal(parse("352099001761480", 0, &i), EIR_IMEI_BAD_CHECK_DIGIT);
	assert_int_equal(parse("352099001761480", EIR_IMEI_ALLOW_SPARE0, &i), EIR_IMEI_OK);
	assert_int_equal(i.form, EIR_FORM_IMEI15_SPARE);
	assert_true(i.key == 35209900176148ULL);

	/* A wrong digit that is not 0. */
	assert_int_equal(parse("352099001761487", EIR_IMEI_ALLOW_SPARE0, &i), EIR_IMEI_BAD_CHECK_DIGIT);
	assert_int_equal(parse("352099001761487", EIR_IMEI_IGNORE_CD, &i), EIR_IMEI_OK);
	assert_int_equal(i.form, EIR_FORM_IMEI15_OTHER);

	/* Leading zeros are part of the key. */
	assert_int_equal(parse("00000000000001", 0, &i), EIR_IMEI_OK);
	assert_true(i.key == 1);

	assert_int_equal(parse("3520990017614823", 0, &i), EIR_IMEI_OK);
	assert_int_equal(i.form, EIR_FORM_IMEISV);
	assert_int_equal(i.svn, 23);
	assert_true(i.key == 35209900176148ULL);
}

static void test_pei(void **state)
{
	struct eir_imei i;

	assert_int_equal(parse("imei-490154203237518", EIR_IMEI_ALLOW_PEI, &i), EIR_IMEI_OK);
	assert_true(i.key == 49015420323751ULL);
	assert_int_equal(parse("imeisv-4901542032375186", EIR_IMEI_ALLOW_PEI, &i), EIR_IMEI_OK);
	assert_int_equal(i.svn, 86);
	/* Prefix demands its exact length. */
	assert_int_equal(parse("imei-49015420323751", EIR_IMEI_ALLOW_PEI, &i), EIR_IMEI_BAD_LENGTH);
	assert_int_equal(parse("imeisv-490154203237518", EIR_IMEI_ALLOW_PEI, &i), EIR_IMEI_BAD_LENGTH);
	assert_int_equal(parse("imei-490154203237517", EIR_IMEI_ALLOW_PEI, &i), EIR_IMEI_BAD_CHECK_DIGIT);
	/* Not allowed: the prefix is just non-digits. */
	assert_int_equal(parse("imei-490154203237518", 0, &i), EIR_IMEI_NON_DIGIT);
	assert_int_equal(parse("mac-00-11-22-33-44-55", EIR_IMEI_ALLOW_PEI, &i), EIR_IMEI_NON_DIGIT);
}

static void test_errors(void **state)
{
	struct eir_imei i;

	assert_int_equal(eir_imei_parse(NULL, 0, 0, &i), EIR_IMEI_EMPTY);
	assert_int_equal(parse("", 0, &i), EIR_IMEI_EMPTY);
	assert_int_equal(parse("3520990017614a", 0, &i), EIR_IMEI_NON_DIGIT);
	assert_int_equal(parse(" 35209900176148", 0, &i), EIR_IMEI_NON_DIGIT);
	assert_int_equal(parse("3520990017614", 0, &i), EIR_IMEI_BAD_LENGTH);
	assert_int_equal(parse("35209900176148231", 0, &i), EIR_IMEI_BAD_LENGTH);
	assert_int_equal(parse("35209900", 0, &i), EIR_IMEI_BAD_LENGTH);
	for (int e = EIR_IMEI_OK; e <= EIR_IMEI_BAD_CHECK_DIGIT; e++)
		assert_non_null(strstr(eir_imei_strerror(e), e ? "IMEI" : "ok"));
	assert_string_equal(eir_imei_strerror(99), "unknown IMEI error");
}

static void test_tbcd_vectors(void **state)
{
	/* docs/protocols.md §3.5/§3.6: MAP IMEI with spare 0 and filler. */
	const uint8_t map_imei[] = { 0x53, 0x02, 0x99, 0x00, 0x71, 0x16, 0x84, 0xf0 };
	const uint8_t v2_imei[] = { 0x53, 0x08, 0x19, 0x10, 0x86, 0x35, 0x55, 0xf0 };
	const uint8_t imsi_tbcd[] = { 0x27, 0x34, 0x04, 0x03, 0x30, 0x58, 0x67, 0xf3 };
	const uint8_t imeisv[] = { 0x53, 0x02, 0x99, 0x00, 0x71, 0x16, 0x84, 0x32 };
	const uint8_t gsup14[] = { 0x53, 0x02, 0x99, 0x00, 0x71, 0x16, 0x84 };
	const uint8_t mid_filler[] = { 0x53, 0x02, 0x99, 0xf0, 0x71, 0x16, 0x84, 0xf0 };
	const uint8_t hex_nibble[] = { 0x53, 0x02, 0x99, 0x0a, 0x71, 0x16, 0x84, 0xf0 };
	const uint8_t too_long[] = { 0x53, 0x02, 0x99, 0x00, 0x71, 0x16, 0x84, 0x32, 0x11 };
	struct eir_imei i;
	char digits[32];
	uint8_t out[8];

	assert_int_equal(eir_tbcd_decode(map_imei, 8, digits, sizeof(digits)), 15);
	assert_string_equal(digits, "352099001761480");
	assert_int_equal(eir_tbcd_decode(imsi_tbcd, 8, digits, sizeof(digits)), 15);
	assert_string_equal(digits, "724340300385763");
	assert_int_equal(eir_tbcd_decode(v2_imei, 8, digits, sizeof(digits)), 15);
	assert_string_equal(digits, "358091016853550");

	assert_int_equal(eir_imei_parse_tbcd(map_imei, 8, EIR_IMEI_ALLOW_SPARE0, &i), EIR_IMEI_OK);
	assert_true(i.key == 35209900176148ULL);
	assert_int_equal(i.form, EIR_FORM_IMEI15_SPARE);
	/* 358091016853550: the spare 0 is not the CD (5). */
	assert_int_equal(eir_imei_parse_tbcd(v2_imei, 8, 0, &i), EIR_IMEI_BAD_CHECK_DIGIT);
	assert_int_equal(eir_imei_parse_tbcd(v2_imei, 8, EIR_IMEI_ALLOW_SPARE0, &i), EIR_IMEI_OK);
	assert_int_equal(eir_imei_parse_tbcd(imeisv, 8, 0, &i), EIR_IMEI_OK);
	assert_int_equal(i.form, EIR_FORM_IMEISV);
	assert_int_equal(i.svn, 23);
	assert_int_equal(eir_imei_parse_tbcd(gsup14, 7, 0, &i), EIR_IMEI_OK);
	assert_int_equal(i.form, EIR_FORM_IMEI14);
	assert_int_equal(eir_imei_parse_tbcd(mid_filler, 8, 0, &i), EIR_IMEI_NON_DIGIT);
	assert_int_equal(eir_imei_parse_tbcd(hex_nibble, 8, 0, &i), EIR_IMEI_NON_DIGIT);
	assert_int_equal(eir_imei_parse_tbcd(too_long, 9, 0, &i), EIR_IMEI_BAD_LENGTH);
	assert_int_equal(eir_imei_parse_tbcd(map_imei, 4, 0, &i), EIR_IMEI_BAD_LENGTH);
	assert_int_equal(eir_imei_parse_tbcd(map_imei, 0, 0, &i), EIR_IMEI_EMPTY);

	/* Encode: odd counts get the filler; round trip is byte-identical. */
	assert_int_equal(eir_tbcd_encode("352099001761480", out, sizeof(out)), 8);
	assert_memory_equal(out, map_imei, 8);
	assert_int_equal(eir_tbcd_encode("724340300385763", out, sizeof(out)), 8);
	assert_memory_equal(out, imsi_tbcd, 8);
	assert_int_equal(eir_tbcd_encode("3520990017614823", out, sizeof(out)), 8);
	assert_memory_equal(out, imeisv, 8);
	assert_int_equal(eir_tbcd_encode("35209900176148231", out, sizeof(out)), -ENOSPC);
	assert_int_equal(eir_tbcd_encode("3520a", out, sizeof(out)), -EINVAL);
	assert_int_equal(eir_tbcd_decode(map_imei, 8, digits, 10), -ENOSPC);
}

static void test_format(void **state)
{
	char d14[15], d15[16];

	eir_imei_format(35209900176148ULL, d14);
	assert_string_equal(d14, "35209900176148");
	eir_imei_format(12, d14);
	assert_string_equal(d14, "00000000000012");
	eir_imei_format_cd(26053179311383ULL, d15);
	assert_string_equal(d15, "260531793113837");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luhn_vectors),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_pei),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tbcd_vectors),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests_name("imei", tests, NULL, NULL);
}
