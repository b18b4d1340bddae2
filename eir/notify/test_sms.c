/* Unit tests of the SMS text: the coding chosen, the units, the parts at
 * the boundaries of TS 23.040 (160/153 septets, 70/67 UCS-2 characters),
 * pairs never cut, the concatenation header, refused UTF-8. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sms.h"

/* "س" U+0633 in UTF-8. */
#define SEEN "\xd8\xb3"

static char *repeat(const char *s, size_t times)
{
	size_t n = strlen(s);
	char *out = malloc(n * times + 1);

	for (size_t i = 0; i < times; i++)
		memcpy(out + i * n, s, n);
	out[n * times] = '\0';
	return out;
}

static size_t parts_of(const char *s, struct sms_text *t, struct sms_part *p, size_t max)
{
	assert_int_equal(sms_text_from_utf8(s, strlen(s), t), 0);
	return sms_split(t, p, max);
}

static void test_gsm7(void **state)
{
	struct sms_text t;
	struct sms_part p[4];
	uint8_t out[200];

	(void)state;
	assert_int_equal(parts_of("Hello @ 7777", &t, p, 4), 1);
	assert_int_equal(t.coding, SMS_GSM7);
	assert_int_equal(t.n, 12);
	assert_int_equal(t.u[6], 0x00);		/* '@' is septet 0 */
	assert_int_equal(sms_part_octets(&t, &p[0], 1, 1, 1, out, sizeof(out)), 12);
	assert_memory_equal(out, "Hello \0 7777", 12);
	sms_text_free(&t);
	/* The extension table: two septets each. */
	assert_int_equal(parts_of("100\xe2\x82\xac [ok]", &t, p, 4), 1);
	assert_int_equal(t.coding, SMS_GSM7);
	assert_int_equal(t.n, 3 + 2 + 1 + 2 + 2 + 2);
	assert_int_equal(t.u[3], 0x1B);
	assert_int_equal(t.u[4], 0x65);
	assert_int_equal(t.u[6], 0x1B);
	assert_int_equal(t.u[7], 0x3C);
	sms_text_free(&t);
	/* Greek capitals of the alphabet, and a lower-case c cedilla that
	 * it lacks (only the capital is there): UCS-2. */
	assert_int_equal(parts_of("\xce\x94\xce\xa9", &t, p, 4), 1);
	assert_int_equal(t.coding, SMS_GSM7);
	assert_int_equal(t.u[0], 0x10);
	sms_text_free(&t);
	assert_int_equal(parts_of("Fran\xc3\xa7ois", &t, p, 4), 1);
	assert_int_equal(t.coding, SMS_UCS2);
	sms_text_free(&t);
}

static void test_gsm7_boundaries(void **state)
{
	struct sms_text t;
	struct sms_part p[4];
	uint8_t out[200];
	char *s;

	(void)state;
	s = repeat("a", 160);
	assert_int_equal(parts_of(s, &t, p, 4), 1);
	assert_int_equal(p[0].n, 160);
	sms_text_free(&t), free(s);
	s = repeat("a", 161);
	assert_int_equal(parts_of(s, &t, p, 4), 2);
	assert_int_equal(p[0].n, 153);
	assert_int_equal(p[1].first, 153);
	assert_int_equal(p[1].n, 8);
	assert_int_equal(sms_part_octets(&t, &p[1], 0x42, 2, 2, out, sizeof(out)), 6 + 8);
	assert_memory_equal(out, "\x05\x00\x03\x42\x02\x02", 6);
	assert_int_equal(sms_part_octets(&t, &p[0], 0x42, 2, 1, out, 6 + 152), 0);	/* too small */
	sms_text_free(&t), free(s);
	/* 152 characters, then the euro: its escape would end part 1 and
	 * its code start part 2; the pair moves to part 2 whole. */
	s = malloc(152 + 3 + 20 + 1);
	memset(s, 'a', 152);
	memcpy(s + 152, "\xe2\x82\xac", 3);
	memset(s + 155, 'b', 20);
	s[175] = '\0';
	assert_int_equal(parts_of(s, &t, p, 4), 2);
	assert_int_equal(p[0].n, 152);
	assert_int_equal(t.u[p[1].first], 0x1B);
	assert_int_equal(p[1].n, 2 + 20);
	sms_text_free(&t), free(s);
	/* Too many parts for max: refused, not truncated. */
	s = repeat("a", 153 * 3 + 1);
	assert_int_equal(parts_of(s, &t, p, 3), 0);
	assert_int_equal(sms_split(&t, p, 4), 4);
	sms_text_free(&t), free(s);
}

static void test_ucs2_boundaries(void **state)
{
	struct sms_text t;
	struct sms_part p[4];
	uint8_t out[200];
	char *s;

	(void)state;
	/* "سلام": Persian is UCS-2, big-endian. */
	assert_int_equal(parts_of("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85", &t, p, 4), 1);
	assert_int_equal(t.coding, SMS_UCS2);
	assert_int_equal(t.n, 4);
	assert_int_equal(sms_part_octets(&t, &p[0], 0, 1, 1, out, sizeof(out)), 8);
	assert_memory_equal(out, "\x06\x33\x06\x44\x06\x27\x06\x45", 8);
	sms_text_free(&t);
	s = repeat(SEEN, 70);
	assert_int_equal(parts_of(s, &t, p, 4), 1);
	sms_text_free(&t), free(s);
	s = repeat(SEEN, 71);
	assert_int_equal(parts_of(s, &t, p, 4), 2);
	assert_int_equal(p[0].n, 67);
	assert_int_equal(p[1].n, 4);
	assert_int_equal(sms_part_octets(&t, &p[0], 7, 2, 1, out, sizeof(out)), 6 + 134);
	assert_memory_equal(out, "\x05\x00\x03\x07\x02\x01\x06\x33", 8);
	sms_text_free(&t), free(s);
	/* A character beyond the BMP is a surrogate pair, never cut: 66
	 * characters, then U+1F600 across the 67th unit. */
	char *a = repeat(SEEN, 66);
	s = malloc(strlen(a) + 4 + 2 * 10 + 1);
	strcpy(s, a);
	strcat(s, "\xf0\x9f\x98\x80");
	for (int i = 0; i < 10; i++)
		strcat(s, SEEN);
	assert_int_equal(parts_of(s, &t, p, 4), 2);
	assert_int_equal(p[0].n, 66);
	assert_int_equal(t.u[66], 0xD83D);
	assert_int_equal(t.u[67], 0xDE00);
	assert_int_equal(p[1].n, 12);
	sms_text_free(&t), free(s), free(a);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xff", "\x80",
	};
	struct sms_text t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sms_text_from_utf8(bad[i], strlen(bad[i]), &t), -EILSEQ);
	assert_int_equal(sms_text_from_utf8("a\0b", 3, &t), -EILSEQ);
	/* Empty: one empty part. */
	struct sms_part p[1];
	assert_int_equal(sms_text_from_utf8("", 0, &t), 0);
	assert_int_equal(sms_split(&t, p, 1), 1);
	assert_int_equal(p[0].n, 0);
	sms_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm7),
		cmocka_unit_test(test_gsm7_boundaries),
		cmocka_unit_test(test_ucs2_boundaries),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("sms", tests, NULL, NULL);
}
