/* Unit tests: the NF profile read back with jansson field by field (IPv4,
 * IPv6, the advertise address, PLMNs, refusals), the heartBeatTimer and
 * ProblemDetails of NRF answers (present, absent, wrong type, not JSON),
 * the heartbeat patch, and UUIDs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include <jansson.h>

#include "profile.h"

#define ID "3f0c5d5e-8b1a-4c2e-9f47-1d2b3c4d5e6f"

/* ------------------------------------------------------------- helpers */

static json_t *build(const struct nrf_profile *p)
{
	char *text = NULL, err[256] = "";
	json_error_t jerr;
	json_t *root;

	assert_int_equal(nrf_profile_build(p, &text, err, sizeof(err)), 0);
	assert_non_null(text);
	root = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(root);
	assert_true(json_is_object(root));
	return root;
}

static void refused(const struct nrf_profile *p, const char *why)
{
	char *text = (char *)"untouched", err[256] = "";

	assert_int_equal(nrf_profile_build(p, &text, err, sizeof(err)), -EINVAL);
	assert_null(text);
	if (!strstr(err, why))
		fail_msg("error \"%s\" does not say \"%s\"", err, why);
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static json_int_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

static json_t *arr(json_t *o, const char *key, size_t n)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_array(v))
		fail_msg("%s is not an array", key);
	assert_int_equal(json_array_size(v), n);
	return v;
}

/* The service of a profile, checked for what every profile has, and the
 * same object in nfServiceList and nfServices. */
static json_t *the_service(json_t *root, const char *sid, const char *scheme)
{
	json_t *list = json_object_get(root, "nfServiceList"), *s, *v, *t;

	assert_true(json_is_object(list));
	assert_int_equal(json_object_size(list), 1);
	s = json_object_get(list, sid);
	assert_true(json_is_object(s));
	assert_true(json_equal(s, json_array_get(arr(root, "nfServices", 1), 0)));

	assert_string_equal(str(s, "serviceInstanceId"), sid);
	assert_string_equal(str(s, "serviceName"), "n5g-eir-eic");
	v = json_array_get(arr(s, "versions", 1), 0);
	assert_int_equal(json_object_size(v), 2);
	assert_string_equal(str(v, "apiVersionInUri"), "v1");
	assert_string_equal(str(v, "apiFullVersion"), "1.4.0");
	assert_string_equal(str(s, "scheme"), scheme);
	assert_string_equal(str(s, "nfServiceStatus"), "REGISTERED");
	t = arr(s, "allowedNfTypes", 1);
	assert_string_equal(json_string_value(json_array_get(t, 0)), "AMF");
	return s;
}

static json_t *the_endpoint(json_t *s, uint16_t port)
{
	json_t *ep = json_array_get(arr(s, "ipEndPoints", 1), 0);

	assert_int_equal(json_object_size(ep), 3);
	assert_string_equal(str(ep, "transport"), "TCP");
	assert_int_equal(num(ep, "port"), port);
	return ep;
}

/* ------------------------------------------------------------- profile */

static void test_profile_ipv4(void **state)
{
	struct nrf_profile p = {
		.instance_id = ID, .heartbeat = 10, .scheme = "http", .addr = "127.0.0.5", .port = 7780,
	};
	json_t *root = build(&p), *s, *ep;

	assert_int_equal(json_object_size(root), 7);
	assert_string_equal(str(root, "nfInstanceId"), ID);
	assert_string_equal(str(root, "nfType"), "5G_EIR");
	assert_string_equal(str(root, "nfStatus"), "REGISTERED");
	assert_int_equal(num(root, "heartBeatTimer"), 10);
	assert_string_equal(json_string_value(json_array_get(arr(root, "ipv4Addresses", 1), 0)), "127.0.0.5");
	assert_null(json_object_get(root, "ipv6Addresses"));
	assert_null(json_object_get(root, "fqdn"));
	assert_null(json_object_get(root, "plmnList"));

	s = the_service(root, NRF_SERVICE_INSTANCE_ID, "http");
	assert_int_equal(json_object_size(s), 7);
	assert_null(json_object_get(s, "fqdn"));
	ep = the_endpoint(s, 7780);
	assert_string_equal(str(ep, "ipv4Address"), "127.0.0.5");
	assert_null(json_object_get(ep, "ipv6Address"));
	json_decref(root);
}

static void test_profile_ipv6(void **state)
{
	static const struct nrf_plmn plmn[] = { { "999", "70" }, { "001", "001" } };
	struct nrf_profile p = {
		.instance_id = ID, .service_instance_id = "eic-a", .heartbeat = 30, .scheme = "https",
		.addr = "2001:DB8:0:0::1", .port = 443, .fqdn = "eir-1.5gc.mnc070.mcc999.3gppnetwork.org",
		.plmn = plmn, .n_plmn = 2,
	};
	json_t *root = build(&p), *s, *ep, *pl;

	assert_int_equal(json_object_size(root), 9);
	assert_int_equal(num(root, "heartBeatTimer"), 30);
	/* published as normalised */
	assert_string_equal(json_string_value(json_array_get(arr(root, "ipv6Addresses", 1), 0)), "2001:db8::1");
	assert_null(json_object_get(root, "ipv4Addresses"));
	assert_string_equal(str(root, "fqdn"), p.fqdn);
	pl = arr(root, "plmnList", 2);
	assert_int_equal(json_object_size(json_array_get(pl, 0)), 2);
	assert_string_equal(str(json_array_get(pl, 0), "mcc"), "999");
	assert_string_equal(str(json_array_get(pl, 0), "mnc"), "70");
	assert_string_equal(str(json_array_get(pl, 1), "mcc"), "001");
	assert_string_equal(str(json_array_get(pl, 1), "mnc"), "001");

	s = the_service(root, "eic-a", "https");
	assert_int_equal(json_object_size(s), 8);
	assert_string_equal(str(s, "fqdn"), p.fqdn);
	ep = the_endpoint(s, 443);
	assert_string_equal(str(ep, "ipv6Address"), "2001:db8::1");
	assert_null(json_object_get(ep, "ipv4Address"));
	json_decref(root);
}

static void published(const char *addr, const char *advertise, const char *key, const char *want)
{
	struct nrf_profile p = {
		.instance_id = ID, .scheme = "http", .addr = addr, .advertise = advertise, .port = 8000,
	};
	json_t *root = build(&p), *ep;

	assert_string_equal(json_string_value(json_array_get(arr(root, key, 1), 0)), want);
	ep = the_endpoint(the_service(root, NRF_SERVICE_INSTANCE_ID, "http"), 8000);
	assert_string_equal(str(ep, strcmp(key, "ipv4Addresses") ? "ipv6Address" : "ipv4Address"), want);
	json_decref(root);
}

static void test_profile_advertise(void **state)
{
	struct nrf_profile p = { .instance_id = ID, .scheme = "http", .port = 8000 };
	char buf[64], err[256];
	int af = 0;

	/* A wildcard listen address needs an advertise address. */
	p.addr = "0.0.0.0";
	refused(&p, "configure advertise");
	p.addr = "::";
	refused(&p, "configure advertise");
	p.addr = "::ffff:0.0.0.0";
	refused(&p, "configure advertise");
	p.addr = "localhost";
	refused(&p, "configure advertise");
	p.addr = NULL;
	refused(&p, "configure advertise");

	published("0.0.0.0", "192.0.2.10", "ipv4Addresses", "192.0.2.10");
	published("::", "2001:db8::10", "ipv6Addresses", "2001:db8::10");
	/* advertise wins over a usable listen address too */
	published("127.0.0.1", "2001:db8::10", "ipv6Addresses", "2001:db8::10");
	/* an IPv4-mapped address is reached over IPv4 */
	published("::", "::ffff:10.1.2.3", "ipv4Addresses", "10.1.2.3");
	published("::1", NULL, "ipv6Addresses", "::1");

	p.addr = "0.0.0.0";
	p.advertise = "0.0.0.0";
	refused(&p, "wildcard");
	p.advertise = "::";
	refused(&p, "wildcard");
	p.advertise = "eir.example.org";
	refused(&p, "not an IPv4 or IPv6 address");

	p.advertise = "192.0.2.1";
	assert_int_equal(nrf_profile_address(&p, buf, sizeof(buf), &af, err, sizeof(err)), 0);
	assert_string_equal(buf, "192.0.2.1");
	assert_int_equal(af, AF_INET);
}

static void test_profile_refusals(void **state)
{
	static const struct nrf_plmn bad_mcc[] = { { "99", "70" } };
	static const struct nrf_plmn bad_mnc[] = { { "999", "7" } };
	static const struct nrf_plmn long_mnc[] = { { "999", "0701" } };
	static const struct nrf_plmn letters[] = { { "9a9", "70" } };
	static const struct nrf_plmn none[] = { { NULL, NULL } };
	const struct nrf_profile good = { .instance_id = ID, .scheme = "http", .addr = "127.0.0.1", .port = 7777 };
	struct nrf_profile p;
	json_t *root;

	p = good, p.instance_id = "not-a-uuid";
	refused(&p, "not a UUID");
	p = good, p.instance_id = NULL;
	refused(&p, "not a UUID");
	p = good, p.scheme = "ftp";
	refused(&p, "neither http nor https");
	p = good, p.scheme = NULL;
	refused(&p, "neither http nor https");
	p = good, p.port = 0;
	refused(&p, "port");
	p = good, p.fqdn = "eir example";
	refused(&p, "not a host name");
	p = good, p.fqdn = "";
	refused(&p, "not a host name");
	p = good, p.service_instance_id = "";
	refused(&p, "serviceInstanceId");
	p = good, p.service_instance_id = "\xff\xfe";
	refused(&p, "serviceInstanceId");
	p = good, p.plmn = bad_mcc, p.n_plmn = 1;
	refused(&p, "MCC");
	p = good, p.plmn = bad_mnc, p.n_plmn = 1;
	refused(&p, "MCC");
	p = good, p.plmn = long_mnc, p.n_plmn = 1;
	refused(&p, "MCC");
	p = good, p.plmn = letters, p.n_plmn = 1;
	refused(&p, "MCC");
	p = good, p.plmn = none, p.n_plmn = 1;
	refused(&p, "MCC");

	/* No heartbeat asked for: the NRF's default applies, the field is absent. */
	root = build(&good);
	assert_null(json_object_get(root, "heartBeatTimer"));
	assert_int_equal(json_object_size(root), 6);
	json_decref(root);

	/* An upper-case UUID is a UUID. */
	p = good, p.instance_id = "3F0C5D5E-8B1A-4C2E-9F47-1D2B3C4D5E6F";
	root = build(&p);
	assert_string_equal(str(root, "nfInstanceId"), p.instance_id);
	json_decref(root);
}

/* ------------------------------------------------------------- answers */

/* What open5gs's NRF answers to NFRegister: the stored profile. */
static const char stored[] =
	"{\"nfInstanceId\":\"" ID "\",\"nfType\":\"5G_EIR\",\"nfStatus\":\"REGISTERED\","
	"\"heartBeatTimer\":20,\"plmnList\":[{\"mcc\":\"999\",\"mnc\":\"70\"}],"
	"\"ipv4Addresses\":[\"127.0.0.5\"],\"priority\":0,\"capacity\":100,\"load\":0,"
	"\"nfServiceList\":{\"n5g-eir-eic-1\":{\"serviceInstanceId\":\"n5g-eir-eic-1\","
	"\"serviceName\":\"n5g-eir-eic\",\"versions\":[{\"apiVersionInUri\":\"v1\",\"apiFullVersion\":\"1.4.0\"}],"
	"\"scheme\":\"http\",\"nfServiceStatus\":\"REGISTERED\",\"ipEndPoints\":[{\"ipv4Address\":\"127.0.0.5\","
	"\"transport\":\"TCP\",\"port\":7780}],\"allowedNfTypes\":[\"AMF\"]}}}";

static int hb_of(const char *body, unsigned *hb)
{
	*hb = 4242;
	return nrf_answer_heartbeat(body, body ? strlen(body) : 0, hb);
}

static void test_answer_heartbeat(void **state)
{
	unsigned hb;

	/* present */
	assert_int_equal(hb_of(stored, &hb), 1);
	assert_int_equal(hb, 20);
	assert_int_equal(hb_of("{\"heartBeatTimer\":1}", &hb), 1);
	assert_int_equal(hb, 1);
	assert_int_equal(hb_of(" {\"heartBeatTimer\" : 86400 }\n", &hb), 1);
	assert_int_equal(hb, NRF_HEARTBEAT_MAX);
	/* absent: the changes-only answer, or an empty object */
	assert_int_equal(hb_of("{\"nfStatus\":\"REGISTERED\",\"nfProfileChangesInd\":true}", &hb), 0);
	assert_int_equal(hb, 4242);
	assert_int_equal(hb_of("{}", &hb), 0);
	assert_int_equal(hb_of("{\"nfServices\":[{\"heartBeatTimer\":5}]}", &hb), 0);
	assert_int_equal(hb, 4242);
	/* wrong type or out of range */
	assert_int_equal(hb_of("{\"heartBeatTimer\":\"10\"}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":10.5}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":true}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":null}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":[10]}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":0}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":-10}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":86401}", &hb), -EINVAL);
	assert_int_equal(hb_of("{\"heartBeatTimer\":99999999999999999999}", &hb), -EBADMSG);
	assert_int_equal(hb, 4242);
	/* not a JSON object */
	assert_int_equal(hb_of("", &hb), -EBADMSG);
	assert_int_equal(hb_of(NULL, &hb), -EBADMSG);
	assert_int_equal(hb_of("<html>502 Bad Gateway</html>", &hb), -EBADMSG);
	assert_int_equal(hb_of("[{\"heartBeatTimer\":10}]", &hb), -EBADMSG);
	assert_int_equal(hb_of("10", &hb), -EBADMSG);
	assert_int_equal(hb_of("{\"heartBeatTimer\":10", &hb), -EBADMSG);
	assert_int_equal(hb_of("{\"heartBeatTimer\":10} {}", &hb), -EBADMSG);
	assert_int_equal(hb, 4242);
	/* the length is the body's: no NUL needed, nothing read past it */
	assert_int_equal(nrf_answer_heartbeat("{\"heartBeatTimer\":7}garbage", 20, &hb), 1);
	assert_int_equal(hb, 7);
	assert_int_equal(nrf_answer_heartbeat("{\"heartBeatTimer\":7}", 10, &hb), -EBADMSG);
}

static int problem(const char *body, char *buf, size_t sz)
{
	return nrf_problem_text(body, body ? strlen(body) : 0, buf, sz);
}

static void test_problem_text(void **state)
{
	char buf[128];

	assert_true(problem("{\"title\":\"Bad Request\",\"status\":400,"
			    "\"detail\":\"PLMN-ID not allowed\",\"cause\":\"MANDATORY_IE_INCORRECT\"}",
			    buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "Bad Request: PLMN-ID not allowed (MANDATORY_IE_INCORRECT)");
	assert_int_equal(problem("{\"status\":404,\"detail\":\"Not found\"}", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "Not found");
	assert_true(problem("{\"cause\":\"NF_INSTANCE_NOT_FOUND\"}", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "(NF_INSTANCE_NOT_FOUND)");
	/* control characters and bytes outside ASCII do not reach a log line */
	assert_true(problem("{\"title\":\"a\\nb\\u00e9\"}", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "a?b??");
	/* truncated to the buffer */
	assert_int_equal(problem("{\"title\":\"0123456789\"}", buf, 6), 5);
	assert_string_equal(buf, "01234");
	/* no ProblemDetails */
	assert_int_equal(problem("{\"status\":500}", buf, sizeof(buf)), -EBADMSG);
	assert_string_equal(buf, "");
	assert_int_equal(problem("{\"title\":5}", buf, sizeof(buf)), -EBADMSG);
	assert_int_equal(problem("Service Unavailable", buf, sizeof(buf)), -EBADMSG);
	assert_string_equal(buf, "");
	assert_int_equal(problem(NULL, buf, sizeof(buf)), -EBADMSG);
}

static void test_heartbeat_body(void **state)
{
	json_t *patch = json_loads(nrf_heartbeat_body(), 0, NULL), *op;

	assert_true(json_is_array(patch));
	assert_int_equal(json_array_size(patch), 1);
	op = json_array_get(patch, 0);
	assert_int_equal(json_object_size(op), 3);
	assert_string_equal(str(op, "op"), "replace");
	assert_string_equal(str(op, "path"), "/nfStatus");
	assert_string_equal(str(op, "value"), "REGISTERED");
	json_decref(patch);
}

/* ------------------------------------------------------------- UUID */

static void test_uuid(void **state)
{
	char a[NRF_UUID_LEN + 1], b[NRF_UUID_LEN + 1];

	memset(a, 'x', sizeof(a));
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(nrf_uuid_generate(b), 0);
		assert_int_equal(strlen(b), NRF_UUID_LEN);
		assert_true(nrf_uuid_valid(b));
		assert_int_equal(b[14], '4');		/* version 4 */
		assert_non_null(strchr("89ab", b[19]));	/* RFC variant */
		for (int j = 0; j < NRF_UUID_LEN; j++)
			assert_false(b[j] >= 'A' && b[j] <= 'Z');
		assert_string_not_equal(a, b);
		memcpy(a, b, sizeof(a));
	}

	assert_true(nrf_uuid_valid(ID));
	assert_true(nrf_uuid_valid("3F0C5D5E-8B1A-4C2E-9F47-1D2B3C4D5E6F"));
	/* any version: an id another system made is still an id */
	assert_true(nrf_uuid_valid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
	assert_false(nrf_uuid_valid(NULL));
	assert_false(nrf_uuid_valid(""));
	assert_false(nrf_uuid_valid("3f0c5d5e-8b1a-4c2e-9f47-1d2b3c4d5e6"));
	assert_false(nrf_uuid_valid("3f0c5d5e-8b1a-4c2e-9f47-1d2b3c4d5e6f0"));
	assert_false(nrf_uuid_valid("3f0c5d5e-8b1a-4c2e-9f47-1d2b3c4d5e6f\n"));
	assert_false(nrf_uuid_valid("3f0c5d5e8b1a-4c2e-9f47-1d2b3c4d5e6f-"));
	assert_false(nrf_uuid_valid("3f0c5d5g-8b1a-4c2e-9f47-1d2b3c4d5e6f"));
	assert_false(nrf_uuid_valid("{3f0c5d5e-8b1a-4c2e-9f47-1d2b3c4d5e6f}"));
	assert_false(nrf_uuid_valid("3f0c5d5e 8b1a 4c2e 9f47 1d2b3c4d5e6f"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_ipv4),
		cmocka_unit_test(test_profile_ipv6),
		cmocka_unit_test(test_profile_advertise),
		cmocka_unit_test(test_profile_refusals),
		cmocka_unit_test(test_answer_heartbeat),
		cmocka_unit_test(test_problem_text),
		cmocka_unit_test(test_heartbeat_body),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
