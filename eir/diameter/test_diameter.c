/* Unit tests: the Diameter codec. The worked examples of
 * docs/protocols.md decode, and re-encode byte-identically; every malformed
 * request maps to the RFC 6733 answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "diam.h"
#include "msg.h"
#include "diameter_vectors.h"

#define EIR_HOST "eir.epc.mnc001.mcc001.3gppnetwork.org"
#define MME_HOST "mme.epc.mnc001.mcc001.3gppnetwork.org"
#define REALM "epc.mnc001.mcc001.3gppnetwork.org"
#define SESSION MME_HOST ";1234567890;1"

static const uint8_t ip_10_0_0_5[][4] = { { 10, 0, 0, 5 } };
static const struct diam_self eir_self = {
	.origin_host = EIR_HOST, .origin_realm = REALM, .product_name = "osmo-eir",
	.vendor_id = 0, .ipv4 = ip_10_0_0_5, .n_ipv4 = 1,
};
static const struct diam_self mme_self = { .origin_host = MME_HOST, .origin_realm = REALM };

static uint8_t out[4096];

static int str_eq(struct diam_str s, const char *lit)
{
	return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

static void test_framing(void **state)
{
	uint8_t b[24] = { 1, 0, 0, 24 };

	assert_int_equal(diam_frame(b, 3, 4096), 0);
	assert_int_equal(diam_frame(b, 23, 4096), 0);
	assert_int_equal(diam_frame(b, 24, 4096), 24);
	b[0] = 2;
	assert_int_equal(diam_frame(b, 24, 4096), -1);	/* version */
	b[0] = 1, b[3] = 16;
	assert_int_equal(diam_frame(b, 24, 4096), -1);	/* shorter than a header */
	b[3] = 22;
	assert_int_equal(diam_frame(b, 24, 4096), -1);	/* not a multiple of 4 */
	b[1] = 1, b[3] = 0;
	assert_int_equal(diam_frame(b, 24, 4096), -1);	/* above the maximum */
	assert_int_equal(diam_frame(ecr_hex, sizeof(ecr_hex), 4096), (long)sizeof(ecr_hex));
}

static void test_cea_dwr_byte_identical(void **state)
{
	struct diam_hdr req = { .flags = DIAM_FLAG_R, .code = DIAM_CMD_CE, .hbh = 0x1234abcd, .e2e = 0x5678ef01 };
	struct diam_buf b;
	long n;

	diam_buf_init(&b, out, sizeof(out));
	n = diam_cea_encode(&b, &req, &eir_self, DIAM_SUCCESS, NULL);
	assert_int_equal(n, sizeof(cea_hex));
	assert_memory_equal(out, cea_hex, sizeof(cea_hex));

	n = diam_dwr_encode(&b, &mme_self, 0x1234abcd, 0x5678ef01);
	assert_int_equal(n, sizeof(dwr_hex));
	assert_memory_equal(out, dwr_hex, sizeof(dwr_hex));

	struct diam_peer_req dw;
	struct diam_fault f;
	assert_int_equal(diam_peer_req_decode(dwr_hex, sizeof(dwr_hex), &dw, &f), 0);
	assert_true(str_eq(dw.origin_host, MME_HOST));
	assert_true(str_eq(dw.origin_realm, REALM));
}

static void test_ecr_eca_byte_identical(void **state)
{
	struct diam_hdr h;
	struct s13_ecr r;
	struct diam_fault f;
	struct diam_buf b;
	long n;

	diam_hdr_parse(ecr_hex, &h);
	assert_int_equal(h.flags, DIAM_FLAG_R | DIAM_FLAG_P);
	assert_int_equal(h.code, DIAM_CMD_MEIC);
	assert_int_equal(h.app, DIAM_APP_S13);
	assert_int_equal(diam_check_header(&h, &f), 0);
	assert_int_equal(s13_ecr_decode(ecr_hex, sizeof(ecr_hex), &r, &f), 0);
	assert_true(str_eq(r.session_id, SESSION));
	assert_true(str_eq(r.imei, "35209900176148"));
	assert_true(str_eq(r.software_version, "23"));
	assert_true(str_eq(r.user_name, "001010123456789"));
	assert_true(str_eq(r.origin_host, MME_HOST));
	assert_true(str_eq(r.dest_realm, REALM));
	assert_int_equal(r.auth_session_state, 1);

	struct s13_ecr_params p = { .session_id = SESSION, .origin_host = MME_HOST, .origin_realm = REALM,
				    .dest_realm = REALM, .imei = "35209900176148", .software_version = "23",
				    .user_name = "001010123456789" };
	diam_buf_init(&b, out, sizeof(out));
	n = s13_ecr_encode(&b, &p, h.hbh, h.e2e);
	assert_int_equal(n, sizeof(ecr_hex));
	assert_memory_equal(out, ecr_hex, sizeof(ecr_hex));

	n = s13_eca_encode(&b, &h, r.session_id, &eir_self, 0);
	assert_int_equal(n, sizeof(eca_ok_hex));
	assert_memory_equal(out, eca_ok_hex, sizeof(eca_ok_hex));
	n = s13_eca_encode(&b, &h, r.session_id, &eir_self, -1);
	assert_int_equal(n, sizeof(eca_unknown_hex));
	assert_memory_equal(out, eca_unknown_hex, sizeof(eca_unknown_hex));
}

/* Build an ECR with one twist and return the fault it decodes to. */
static uint32_t ecr_fault(void (*twist)(struct diam_buf *b), struct diam_fault *f)
{
	static uint8_t msg[1024];
	struct diam_buf b;
	struct s13_ecr r;
	long n;

	diam_buf_init(&b, msg, sizeof(msg));
	diam_msg_begin(&b, DIAM_FLAG_R | DIAM_FLAG_P, DIAM_CMD_MEIC, DIAM_APP_S13, 1, 2);
	twist(&b);
	n = diam_msg_end(&b);
	assert_true(n > 0);
	memset(f, 0, sizeof(*f));
	if (s13_ecr_decode(msg, (size_t)n, &r, f) == 0)
		return DIAM_SUCCESS;
	return f->result;
}

#define MM DIAM_AVP_M
#define MV (DIAM_AVP_M | DIAM_AVP_V)
static void base(struct diam_buf *b, int skip)
{
	if (skip != 1) diam_put_str(b, AVP_SESSION_ID, MM, 0, "s;1");
	if (skip != 2) diam_put_u32(b, AVP_AUTH_SESSION_STATE, MM, 0, 1);
	if (skip != 3) diam_put_str(b, AVP_ORIGIN_HOST, MM, 0, "mme");
	if (skip != 4) diam_put_str(b, AVP_ORIGIN_REALM, MM, 0, "realm");
	if (skip != 5) diam_put_str(b, AVP_DESTINATION_REALM, MM, 0, "realm");
}
static void ti(struct diam_buf *b)
{
	diam_group_begin(b, AVP_TERMINAL_INFORMATION, MV, DIAM_VENDOR_3GPP);
	diam_put_str(b, AVP_IMEI, MV, DIAM_VENDOR_3GPP, "35209900176148");
	diam_group_end(b);
}
static void t_ok(struct diam_buf *b) { base(b, 0); ti(b); }
static void t_no_session(struct diam_buf *b) { base(b, 1); ti(b); }
static void t_no_ass(struct diam_buf *b) { base(b, 2); ti(b); }
static void t_no_dest_realm(struct diam_buf *b) { base(b, 5); ti(b); }
static void t_no_ti(struct diam_buf *b) { base(b, 0); }
static void t_no_imei(struct diam_buf *b)
{
	base(b, 0);
	diam_group_begin(b, AVP_TERMINAL_INFORMATION, MV, DIAM_VENDOR_3GPP);
	diam_put_str(b, AVP_SOFTWARE_VERSION, MV, DIAM_VENDOR_3GPP, "01");
	diam_group_end(b);
}
static void t_unknown_m(struct diam_buf *b) { t_ok(b); diam_put_u32(b, 9999, MM, 0, 1); }
static void t_unknown_not_m(struct diam_buf *b) { t_ok(b); diam_put_u32(b, 9999, 0, 0, 1); }
static void t_twice(struct diam_buf *b) { t_ok(b); diam_put_str(b, AVP_ORIGIN_HOST, MM, 0, "again"); }
static void t_ass_value(struct diam_buf *b)
{
	diam_put_u32(b, AVP_AUTH_SESSION_STATE, MM, 0, 7);
	base(b, 2);	/* all but Auth-Session-State */
	ti(b);
}
static void t_ass_length(struct diam_buf *b)
{
	diam_put_bytes(b, AVP_AUTH_SESSION_STATE, MM, 0, "\0\0\0\0\1", 5);
	base(b, 2);
	ti(b);
}
static void t_empty_host(struct diam_buf *b)
{
	base(b, 3);
	diam_put_str(b, AVP_ORIGIN_HOST, MM, 0, "");
	ti(b);
}
static void t_bad_avp_len(struct diam_buf *b)
{
	t_ok(b);
	/* An AVP header claiming 64 octets with 4 present. */
	static const uint8_t bad[12] = { 0, 0, 1, 1, 0x40, 0, 0, 64, 1, 2, 3, 4 };
	diam_put_raw(b, bad, sizeof(bad));
}

static void test_ecr_faults(void **state)
{
	struct diam_fault f;

	assert_int_equal(ecr_fault(t_ok, &f), DIAM_SUCCESS);
	assert_int_equal(ecr_fault(t_unknown_not_m, &f), DIAM_SUCCESS);
	assert_int_equal(ecr_fault(t_no_session, &f), DIAM_MISSING_AVP);
	assert_int_equal(f.missing_code, AVP_SESSION_ID);
	assert_int_equal(ecr_fault(t_no_ass, &f), DIAM_MISSING_AVP);
	assert_int_equal(f.missing_code, AVP_AUTH_SESSION_STATE);
	assert_int_equal(ecr_fault(t_no_dest_realm, &f), DIAM_MISSING_AVP);
	assert_int_equal(ecr_fault(t_no_ti, &f), DIAM_MISSING_AVP);
	assert_int_equal(f.missing_code, AVP_TERMINAL_INFORMATION);
	assert_int_equal(f.missing_vendor, DIAM_VENDOR_3GPP);
	assert_int_equal(ecr_fault(t_no_imei, &f), DIAM_MISSING_AVP);
	assert_int_equal(f.missing_code, AVP_IMEI);
	assert_int_equal(ecr_fault(t_unknown_m, &f), DIAM_AVP_UNSUPPORTED);
	assert_non_null(f.avp);
	assert_int_equal(f.avp_len, 12);
	assert_int_equal(ecr_fault(t_twice, &f), DIAM_AVP_OCCURS_TOO_MANY_TIMES);
	assert_int_equal(ecr_fault(t_ass_value, &f), DIAM_INVALID_AVP_VALUE);
	assert_int_equal(ecr_fault(t_ass_length, &f), DIAM_INVALID_AVP_LENGTH);
	assert_int_equal(ecr_fault(t_empty_host, &f), DIAM_INVALID_AVP_VALUE);
	assert_int_equal(ecr_fault(t_bad_avp_len, &f), DIAM_INVALID_AVP_LENGTH);

	struct diam_hdr h = { .flags = DIAM_FLAG_R | DIAM_FLAG_E };
	assert_int_equal(diam_check_header(&h, &f), -1);
	assert_int_equal(f.result, DIAM_INVALID_HDR_BITS);
}

/* Find a top-level AVP in an encoded message. */
static int find(const uint8_t *msg, long len, uint32_t code, struct diam_avp *avp)
{
	struct diam_iter it;
	diam_iter_msg(&it, msg, (size_t)len);
	while (diam_iter_next(&it, avp) == 1) {
		if (avp->code == code)
			return 1;
	}
	return 0;
}

static void test_error_answers(void **state)
{
	struct diam_hdr h;
	struct diam_fault f;
	struct diam_buf b;
	struct diam_avp avp, in;
	struct diam_iter it;
	uint32_t v;
	long n;

	/* 5005 on S13: an ECA with Result-Code, Auth-Session-State, Failed-AVP
	 * holding a zeroed example of the missing AVP. */
	assert_int_equal(ecr_fault(t_no_imei, &f), DIAM_MISSING_AVP);
	diam_hdr_parse(ecr_hex, &h);
	diam_buf_init(&b, out, sizeof(out));
	n = diam_error_encode(&b, &h, diam_session_id(ecr_hex, sizeof(ecr_hex)), &eir_self, &f);
	assert_true(n > 0);
	assert_int_equal(out[4], DIAM_FLAG_P);	/* no E bit for 5xxx */
	assert_true(find(out, n, AVP_RESULT_CODE, &avp) && !diam_avp_u32(&avp, &v) && v == DIAM_MISSING_AVP);
	assert_true(find(out, n, AVP_AUTH_SESSION_STATE, &avp));
	assert_true(find(out, n, AVP_SESSION_ID, &avp) && avp.len == strlen(SESSION));
	assert_true(find(out, n, AVP_FAILED_AVP, &avp));
	diam_iter_group(&it, &avp);
	assert_int_equal(diam_iter_next(&it, &in), 1);
	assert_int_equal(in.code, AVP_IMEI);
	assert_int_equal(in.vendor, DIAM_VENDOR_3GPP);

	/* 3001 for an unknown command: E bit, generic answer. */
	struct diam_hdr unk = { .flags = DIAM_FLAG_R | DIAM_FLAG_P, .code = 999, .app = DIAM_APP_S13, .hbh = 7, .e2e = 8 };
	struct diam_fault cf = { .result = DIAM_COMMAND_UNSUPPORTED, .text = "unknown command" };
	n = diam_error_encode(&b, &unk, (struct diam_str){ 0 }, &eir_self, &cf);
	assert_true(n > 0);
	diam_hdr_parse(out, &h);
	assert_int_equal(h.flags, DIAM_FLAG_P | DIAM_FLAG_E);
	assert_int_equal(h.code, 999);
	assert_int_equal(h.hbh, 7);
	assert_true(find(out, n, AVP_RESULT_CODE, &avp) && !diam_avp_u32(&avp, &v) && v == DIAM_COMMAND_UNSUPPORTED);
	assert_true(find(out, n, AVP_ERROR_MESSAGE, &avp));
	assert_false(find(out, n, AVP_FAILED_AVP, &avp));

	/* Failed-AVP quoting a received AVP byte for byte. */
	assert_int_equal(ecr_fault(t_unknown_m, &f), DIAM_AVP_UNSUPPORTED);
	n = diam_error_encode(&b, &h, (struct diam_str){ 0 }, &eir_self, &f);
	assert_true(find(out, n, AVP_FAILED_AVP, &avp));
	diam_iter_group(&it, &avp);
	assert_int_equal(diam_iter_next(&it, &in), 1);
	assert_int_equal(in.code, 9999);
}

static void test_cer(void **state)
{
	static uint8_t msg[1024];
	struct diam_buf b;
	struct diam_cer cer;
	struct diam_fault f;
	long n;

	/* Our own CEA is a valid CER body apart from Result-Code: build a CER. */
	diam_buf_init(&b, msg, sizeof(msg));
	diam_msg_begin(&b, DIAM_FLAG_R, DIAM_CMD_CE, 0, 1, 2);
	diam_put_str(&b, AVP_ORIGIN_HOST, MM, 0, MME_HOST);
	diam_put_str(&b, AVP_ORIGIN_REALM, MM, 0, REALM);
	diam_put_addr(&b, AVP_HOST_IP_ADDRESS, MM, 1, "\x7f\0\0\1", 4);
	diam_put_u32(&b, AVP_VENDOR_ID, MM, 0, 0);
	diam_put_str(&b, AVP_PRODUCT_NAME, 0, 0, "freeDiameter");
	diam_group_begin(&b, AVP_VSAI, MM, 0);
	diam_put_u32(&b, AVP_VENDOR_ID, MM, 0, DIAM_VENDOR_3GPP);
	diam_put_u32(&b, AVP_AUTH_APP_ID, MM, 0, DIAM_APP_S13);
	diam_group_end(&b);
	n = diam_msg_end(&b);
	assert_int_equal(diam_cer_decode(msg, (size_t)n, &cer, &f), 0);
	assert_true(cer.s13);
	assert_false(cer.relay);
	assert_int_equal(cer.n_host_ip, 1);
	assert_true(str_eq(cer.product_name, "freeDiameter"));

	/* No common application; relay; missing Host-IP-Address. */
	diam_msg_begin(&b, DIAM_FLAG_R, DIAM_CMD_CE, 0, 1, 2);
	diam_put_str(&b, AVP_ORIGIN_HOST, MM, 0, MME_HOST);
	diam_put_str(&b, AVP_ORIGIN_REALM, MM, 0, REALM);
	diam_put_addr(&b, AVP_HOST_IP_ADDRESS, MM, 1, "\x7f\0\0\1", 4);
	diam_put_u32(&b, AVP_VENDOR_ID, MM, 0, 0);
	diam_put_str(&b, AVP_PRODUCT_NAME, 0, 0, "x");
	diam_put_u32(&b, AVP_AUTH_APP_ID, MM, 0, 16777251);
	n = diam_msg_end(&b);
	assert_int_equal(diam_cer_decode(msg, (size_t)n, &cer, &f), 0);
	assert_false(cer.s13 || cer.relay);
	diam_put_u32(&b, AVP_ACCT_APP_ID, MM, 0, DIAM_APP_RELAY);
	n = diam_msg_end(&b);
	assert_int_equal(diam_cer_decode(msg, (size_t)n, &cer, &f), 0);
	assert_true(cer.relay);

	diam_msg_begin(&b, DIAM_FLAG_R, DIAM_CMD_CE, 0, 1, 2);
	diam_put_str(&b, AVP_ORIGIN_HOST, MM, 0, MME_HOST);
	diam_put_str(&b, AVP_ORIGIN_REALM, MM, 0, REALM);
	diam_put_u32(&b, AVP_VENDOR_ID, MM, 0, 0);
	diam_put_str(&b, AVP_PRODUCT_NAME, 0, 0, "x");
	n = diam_msg_end(&b);
	assert_int_equal(diam_cer_decode(msg, (size_t)n, &cer, &f), -1);
	assert_int_equal(f.result, DIAM_MISSING_AVP);
	assert_int_equal(f.missing_code, AVP_HOST_IP_ADDRESS);
}

static void test_encoder_limits(void **state)
{
	uint8_t small[40];
	struct diam_buf b;

	diam_buf_init(&b, small, sizeof(small));
	diam_msg_begin(&b, 0, 1, 0, 0, 0);
	diam_put_str(&b, AVP_ORIGIN_HOST, MM, 0, "a-name-longer-than-the-buffer-has-room-for");
	assert_int_equal(diam_msg_end(&b), -1);
	diam_msg_begin(&b, 0, 1, 0, 0, 0);
	diam_group_begin(&b, AVP_VSAI, MM, 0);
	assert_int_equal(diam_msg_end(&b), -1);	/* group left open */
	diam_msg_begin(&b, 0, 1, 0, 0, 0);
	diam_group_end(&b);
	assert_int_equal(diam_msg_end(&b), -1);	/* nothing to close */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_cea_dwr_byte_identical),
		cmocka_unit_test(test_ecr_eca_byte_identical),
		cmocka_unit_test(test_ecr_faults),
		cmocka_unit_test(test_error_answers),
		cmocka_unit_test(test_cer),
		cmocka_unit_test(test_encoder_limits),
	};
	return cmocka_run_group_tests_name("diameter", tests, NULL, NULL);
}
