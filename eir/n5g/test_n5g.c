/* Unit tests: the GetEquipmentStatus query (every PEI form, SUPI and GPSI
 * forms, every 400 case, percent-decoding) and the JSON bodies, parsed
 * back with jansson and compared field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "n5g.h"
#include "record.h"

#define P N5G_API_PATH
#define FLAGS (EIR_IMEI_ALLOW_SPARE0)

static enum n5g_err parse(const char *target, struct n5g_request *r)
{
	return n5g_parse_target(target, strlen(target), FLAGS, r);
}

static void test_pei_forms(void **state)
{
	struct n5g_request r;
	char d[15];

	/* imei-<15>: the 15th digit the Luhn check digit (or the spare 0). */
	assert_int_equal(parse(P "?pei=imei-490154203237518", &r), N5G_OK);
	assert_int_equal(r.pei_kind, N5G_PEI_IMEI);
	assert_int_equal(r.q.imei_err, 0);
	eir_imei_format(r.q.imei.key, d);
	assert_string_equal(d, "49015420323751");
	assert_int_equal(r.q.imei.svn, -1);
	assert_string_equal(r.pei, "imei-490154203237518");
	assert_int_equal(parse(P "?pei=imei-490154203237510", &r), N5G_OK);
	assert_int_equal(r.q.imei_err, 0);
	/* A wrong check digit is an IMEI the policy judges (invalid-imei). */
	assert_int_equal(parse(P "?pei=imei-490154203237513", &r), N5G_OK);
	assert_int_equal(r.q.imei_err, EIR_IMEI_BAD_CHECK_DIGIT);
	/* imeisv-<16>: keyed on the 14 digits, the SVN kept. */
	assert_int_equal(parse(P "?pei=imeisv-4901542032375186", &r), N5G_OK);
	assert_int_equal(r.pei_kind, N5G_PEI_IMEISV);
	assert_int_equal(r.q.imei_err, 0);
	eir_imei_format(r.q.imei.key, d);
	assert_string_equal(d, "49015420323751");
	assert_int_equal(r.q.imei.svn, 86);
	/* MAC and EUI-64: PEIs, not equipment the register holds. */
	assert_int_equal(parse(P "?pei=mac-00-1b-63-84-45-e6", &r), N5G_OK);
	assert_int_equal(r.pei_kind, N5G_PEI_MAC);
	assert_int_equal(parse(P "?pei=mac-00-1B-63-84-45-E6-untrusted", &r), N5G_OK);
	assert_int_equal(r.pei_kind, N5G_PEI_MAC);
	assert_int_equal(parse(P "?pei=eui-00-1b-63-ff-fe-84-45-e6", &r), N5G_OK);
	assert_int_equal(r.pei_kind, N5G_PEI_EUI64);
	/* The pattern's catch-all. */
	assert_int_equal(parse(P "?pei=something-else", &r), N5G_OK);
	assert_int_equal(r.pei_kind, N5G_PEI_OTHER);
}

static void test_pei_bad(void **state)
{
	static const char *const bad[] = {
		P "?pei=", P "?pei=imei-49015420323751", P "?pei=imei-4901542032375188",
		P "?pei=imei-49015420323751x", P "?pei=imeisv-490154203237518",
		P "?pei=imeisv-49015420323751860", P "?pei=imeisv-", P "?pei=imei-",
		P "?pei=mac-00-1b-63-84-45", P "?pei=mac-00-1b-63-84-45-zz", P "?pei=mac-00-1b-63-84-45-e6-trusted",
		P "?pei=eui-00-1b-63-ff-fe-84-45", P "?pei=eui-00-1b-63-ff-fe-84-45-e6-00",
		P "?pei=imei-49015420323751%", P "?pei=imei-4901542032375%1", P "?pei=imei-%0a90154203237518",
	};
	struct n5g_request r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum n5g_err e = parse(bad[i], &r);
		if (e != N5G_ERR_PEI_BAD)
			fail_msg("%s: %s", bad[i], n5g_err_name(e));
		assert_string_equal(r.param, "pei");
		assert_non_null(r.reason);
		assert_int_equal(n5g_err_status(e), 400);
		assert_string_equal(n5g_err_cause(e), "MANDATORY_QUERY_PARAM_INCORRECT");
	}
}

static void test_supi_gpsi(void **state)
{
	struct n5g_request r;
	uint64_t imsi;

	assert_int_equal(parse(P "?pei=imeisv-4901542032375186&supi=imsi-001010123456789", &r), N5G_OK);
	assert_int_equal(eir_imsi_parse("001010123456789", 15, &imsi), 0);
	assert_true(r.has_supi);
	assert_true(r.q.imsi == imsi);
	/* Five digits: the pattern's, but no IMSI to pair with. */
	assert_int_equal(parse(P "?pei=imeisv-4901542032375186&supi=imsi-00101", &r), N5G_OK);
	assert_true(r.q.imsi == 0);
	assert_int_equal(parse(P "?pei=imeisv-4901542032375186&supi=nai-user%40example.net", &r), N5G_OK);
	assert_true(r.q.imsi == 0);
	assert_string_equal(r.supi, "nai-user@example.net");
	assert_int_equal(parse(P "?supi=imsi-001010123456789&gpsi=msisdn-989121234567&pei=imei-490154203237518", &r),
			 N5G_OK);
	assert_true(r.has_gpsi);
	assert_string_equal(r.gpsi, "msisdn-989121234567");
	assert_int_equal(parse(P "?pei=imei-490154203237518&gpsi=extid-a%40b", &r), N5G_OK);
	assert_int_equal(parse(P "?pei=imei-490154203237518&supported-features=", &r), N5G_OK);
	assert_int_equal(parse(P "?pei=imei-490154203237518&supported-features=0aF", &r), N5G_OK);

	assert_int_equal(parse(P "?pei=imei-490154203237518&supi=imsi-0010", &r), N5G_ERR_SUPI_BAD);
	assert_string_equal(r.param, "supi");
	assert_string_equal(n5g_err_cause(N5G_ERR_SUPI_BAD), "OPTIONAL_QUERY_PARAM_INCORRECT");
	assert_int_equal(parse(P "?pei=imei-490154203237518&supi=imsi-0010101234567890", &r), N5G_ERR_SUPI_BAD);
	assert_int_equal(parse(P "?pei=imei-490154203237518&supi=imsi-00101x", &r), N5G_ERR_SUPI_BAD);
	assert_int_equal(parse(P "?pei=imei-490154203237518&supi=", &r), N5G_ERR_SUPI_BAD);
	assert_int_equal(parse(P "?pei=imei-490154203237518&gpsi=msisdn-12", &r), N5G_ERR_GPSI_BAD);
	assert_string_equal(r.param, "gpsi");
	assert_int_equal(parse(P "?pei=imei-490154203237518&gpsi=extid-ab", &r), N5G_ERR_GPSI_BAD);
	assert_int_equal(parse(P "?pei=imei-490154203237518&gpsi=extid-a@b@c", &r), N5G_ERR_GPSI_BAD);
	assert_int_equal(parse(P "?pei=imei-490154203237518&supported-features=xyz", &r), N5G_ERR_FEATURES_BAD);
	assert_string_equal(r.param, "supported-features");
}

static void test_query_shape(void **state)
{
	struct n5g_request r;

	assert_int_equal(parse(P, &r), N5G_ERR_PEI_MISSING);
	assert_string_equal(r.param, "pei");
	assert_int_equal(n5g_err_status(N5G_ERR_PEI_MISSING), 400);
	assert_string_equal(n5g_err_cause(N5G_ERR_PEI_MISSING), "MANDATORY_QUERY_PARAM_MISSING");
	assert_int_equal(parse(P "?", &r), N5G_ERR_PEI_MISSING);
	assert_int_equal(parse(P "?supi=imsi-001010123456789", &r), N5G_ERR_PEI_MISSING);
	/* Duplicates are refused, whatever the values. */
	assert_int_equal(parse(P "?pei=imei-490154203237518&pei=imei-490154203237518", &r), N5G_ERR_PARAM_DUPLICATE);
	assert_string_equal(r.param, "pei");
	assert_string_equal(n5g_err_cause(N5G_ERR_PARAM_DUPLICATE), "INVALID_QUERY_PARAM");
	assert_int_equal(parse(P "?pei=imei-490154203237518&supi=imsi-001010123456789&supi=imsi-001010123456789", &r),
			 N5G_ERR_PARAM_DUPLICATE);
	/* An encoded name is the same name. */
	assert_int_equal(parse(P "?pei=imei-490154203237518&p%65i=x", &r), N5G_ERR_PARAM_DUPLICATE);
	/* Unknown parameters, named (sanitised) in the answer. */
	assert_int_equal(parse(P "?pei=imei-490154203237518&foo=1", &r), N5G_ERR_PARAM_UNKNOWN);
	assert_string_equal(r.param, "foo");
	assert_string_equal(n5g_err_cause(N5G_ERR_PARAM_UNKNOWN), "INVALID_QUERY_PARAM");
	assert_int_equal(parse(P "?PEI=imei-490154203237518", &r), N5G_ERR_PARAM_UNKNOWN);
	assert_int_equal(parse(P "?pei", &r), N5G_ERR_PEI_BAD);
	assert_int_equal(parse(P "?x%zz=1", &r), N5G_ERR_PARAM_UNKNOWN);
	assert_string_equal(r.param, "x%zz");
	/* Empty pieces are skipped; encoded values decoded; '+' is a '+'. */
	assert_int_equal(parse(P "?&pei=imei%2D490154203237518&&", &r), N5G_OK);
	assert_string_equal(r.pei, "imei-490154203237518");
	assert_int_equal(parse(P "?pei=a+b", &r), N5G_OK);
	assert_string_equal(r.pei, "a+b");
	/* Values longer than we keep. */
	char big[400];
	snprintf(big, sizeof(big), "%s?pei=%0300d", P, 7);
	assert_int_equal(parse(big, &r), N5G_ERR_PEI_BAD);
	assert_string_equal(r.reason, "too long");
}

static void test_paths(void **state)
{
	struct n5g_request r;
	static const char *const other[] = {
		"/", "/n5g-eir-eic/v1/equipment-status/", "/n5g-eir-eic/v2/equipment-status?pei=imei-490154203237518",
		"/n5g-eir-eic/v1/equipment-statusx", "/n5g-eir-eic/v1", "", "/N5G-EIR-EIC/v1/equipment-status",
		"/n5g-eir-eic/v1/equipment-status%3Fpei=imei-490154203237518",
	};

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		assert_int_equal(parse(other[i], &r), N5G_ERR_PATH);
		assert_int_equal(n5g_err_status(N5G_ERR_PATH), 404);
	}
	/* A target that is not NUL-terminated: only len counts. */
	static const char t[] = P "?pei=imei-490154203237518&supi=imsi-001010123456789";
	assert_int_equal(n5g_parse_target(t, strlen(P) + 25, FLAGS, &r), N5G_OK);
	assert_false(r.has_supi);
}

static json_t *parse_json(const char *s, size_t n)
{
	json_error_t err;
	json_t *j = json_loadb(s, n, 0, &err);

	if (!j)
		fail_msg("not JSON: %.*s (%s)", (int)n, s, err.text);
	return j;
}

static void test_status_bodies(void **state)
{
	static const char *const want[] = { "WHITELISTED", "BLACKLISTED", "GREYLISTED" };
	const char *b;
	size_t n;
	json_t *j;

	for (int v = EIR_WHITELISTED; v <= EIR_GREYLISTED; v++) {
		b = n5g_status_body((enum eir_verdict)v, &n);
		assert_non_null(b);
		j = parse_json(b, n);
		assert_int_equal(json_object_size(j), 1);
		assert_string_equal(json_string_value(json_object_get(j, "status")), want[v]);
		json_decref(j);
	}
	assert_null(n5g_status_body(EIR_UNKNOWN, &n));
	b = n5g_unknown_body(&n);
	j = parse_json(b, n);
	assert_string_equal(json_string_value(json_object_get(j, "cause")), "ERROR_EQUIPMENT_UNKNOWN");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
	assert_non_null(json_string_value(json_object_get(j, "title")));
	json_decref(j);
}

static void test_problem_bodies(void **state)
{
	struct n5g_request r;
	char *b;
	size_t n;
	json_t *j, *ip;

	assert_int_equal(parse(P "?pei=imei-1", &r), N5G_ERR_PEI_BAD);
	b = n5g_problem_for(N5G_ERR_PEI_BAD, &r, &n);
	assert_non_null(b);
	assert_int_equal(n, strlen(b));
	j = parse_json(b, n);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 400);
	assert_string_equal(json_string_value(json_object_get(j, "cause")), "MANDATORY_QUERY_PARAM_INCORRECT");
	assert_string_equal(json_string_value(json_object_get(j, "title")), "Bad Request");
	ip = json_array_get(json_object_get(j, "invalidParams"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "invalidParams")), 1);
	assert_string_equal(json_string_value(json_object_get(ip, "param")), "query pei");
	assert_string_equal(json_string_value(json_object_get(ip, "reason")), "imei- must be followed by 15 digits");
	json_decref(j);
	free(b);

	/* A hostile parameter name: quotes, backslashes and bytes that are
	 * not UTF-8 still give valid JSON, the name made printable. */
	assert_int_equal(parse(P "?%22%5C%FF%C3=1", &r), N5G_ERR_PARAM_UNKNOWN);
	b = n5g_problem_for(N5G_ERR_PARAM_UNKNOWN, &r, &n);
	j = parse_json(b, n);
	ip = json_array_get(json_object_get(j, "invalidParams"), 0);
	assert_string_equal(json_string_value(json_object_get(ip, "param")), "query %22%5C%FF%C3");
	assert_string_equal(json_string_value(json_object_get(j, "cause")), "INVALID_QUERY_PARAM");
	json_decref(j);
	free(b);

	/* An empty name is a parameter too: named "query ". */
	assert_int_equal(parse(P "?pei=imei-490154203237518&=x", &r), N5G_ERR_PARAM_UNKNOWN);
	b = n5g_problem_for(N5G_ERR_PARAM_UNKNOWN, &r, &n);
	j = parse_json(b, n);
	ip = json_array_get(json_object_get(j, "invalidParams"), 0);
	assert_string_equal(json_string_value(json_object_get(ip, "param")), "query ");
	json_decref(j);
	free(b);

	/* Other paths: a 404 without the EIR's cause, no invalidParams. */
	assert_int_equal(parse("/nope", &r), N5G_ERR_PATH);
	b = n5g_problem_for(N5G_ERR_PATH, &r, &n);
	j = parse_json(b, n);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(j, "cause")), "RESOURCE_URI_STRUCTURE_NOT_FOUND");
	assert_null(json_object_get(j, "invalidParams"));
	json_decref(j);
	free(b);

	/* The generic form, as the transport's answers use it. */
	b = n5g_problem_json(503, "Service Unavailable", "NF_CONGESTION", "over max-connections", NULL, NULL, &n);
	j = parse_json(b, n);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 503);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "over max-connections");
	assert_string_equal(json_string_value(json_object_get(j, "cause")), "NF_CONGESTION");
	json_decref(j);
	free(b);
	b = n5g_problem_json(405, "Method Not Allowed", NULL, "\x01\xff", NULL, NULL, &n);
	j = parse_json(b, n);
	assert_null(json_object_get(j, "cause"));
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "??");
	json_decref(j);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pei_forms),
		cmocka_unit_test(test_pei_bad),
		cmocka_unit_test(test_supi_gpsi),
		cmocka_unit_test(test_query_shape),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_status_bodies),
		cmocka_unit_test(test_problem_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
