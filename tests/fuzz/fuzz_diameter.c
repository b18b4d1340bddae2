/* libFuzzer harness: Diameter framing, header and the CER, DWR/DPR and ECR
 * decoders. Whatever is decoded or refused, the answer built from it must
 * be a well-formed message. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "diam.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ip[][4] = { { 127, 0, 0, 1 } };
static const struct diam_self self = {
	.origin_host = "eir.example.net", .origin_realm = "example.net", .product_name = "eird",
	.ipv4 = ip, .n_ipv4 = 1,
};

static void check_answer(const uint8_t *ans, long n)
{
	struct diam_iter it;
	struct diam_avp avp;
	int rc;

	assert(n >= DIAM_HDR_LEN);
	assert(diam_frame(ans, (size_t)n, 1 << 16) == n);
	diam_iter_msg(&it, ans, (size_t)n);
	while ((rc = diam_iter_next(&it, &avp)) == 1)
		;
	assert(rc == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	struct diam_hdr h;
	struct diam_fault f;
	struct diam_buf b;
	long len = diam_frame(data, size, 1 << 16), n;

	if (len <= 0)
		return 0;
	diam_hdr_parse(data, &h);
	diam_buf_init(&b, out, sizeof(out));

	struct diam_cer cer;
	if (diam_cer_decode(data, (size_t)len, &cer, &f) == 0)
		n = diam_cea_encode(&b, &h, &self, cer.s13 || cer.relay ? DIAM_SUCCESS : DIAM_NO_COMMON_APPLICATION, NULL);
	else
		n = diam_error_encode(&b, &h, diam_session_id(data, (size_t)len), &self, &f);
	check_answer(out, n);

	struct diam_peer_req pr;
	if (diam_peer_req_decode(data, (size_t)len, &pr, &f) == 0)
		n = diam_dwa_encode(&b, &h, &self);
	else
		n = diam_error_encode(&b, &h, diam_session_id(data, (size_t)len), &self, &f);
	check_answer(out, n);

	struct s13_ecr r;
	if (diam_check_header(&h, &f) == 0 && s13_ecr_decode(data, (size_t)len, &r, &f) == 0) {
		assert(r.has_imei && r.session_id.n && r.origin_host.n);
		n = s13_eca_encode(&b, &h, r.session_id, &self, (int)(r.imei.n % 4) - 1);
	} else {
		n = diam_error_encode(&b, &h, diam_session_id(data, (size_t)len), &self, &f);
	}
	check_answer(out, n);
	return 0;
}
