/* N5g-eir requests and answer bodies (docs/protocols.md §5): the query of
 * GetEquipmentStatus parsed strictly (percent-decoded, every parameter at
 * most once, unknown ones refused), the PEI forms of TS 29.571, and the
 * ProblemDetails of every refusal written through jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "n5g.h"
#include "record.h"

enum param { P_PEI, P_SUPI, P_GPSI, P_FEATURES, P_COUNT };

static const char *const param_names[P_COUNT] = {
	[P_PEI] = "pei", [P_SUPI] = "supi", [P_GPSI] = "gpsi", [P_FEATURES] = "supported-features",
};

static const struct {
	int status;
	const char *cause;
	const char *name;
} errs[N5G_ERR_COUNT] = {
	[N5G_OK] = { 200, NULL, "ok" },
	[N5G_ERR_PATH] = { 404, "RESOURCE_URI_STRUCTURE_NOT_FOUND", "path" },
	[N5G_ERR_PEI_MISSING] = { 400, "MANDATORY_QUERY_PARAM_MISSING", "pei-missing" },
	[N5G_ERR_PEI_BAD] = { 400, "MANDATORY_QUERY_PARAM_INCORRECT", "pei-incorrect" },
	[N5G_ERR_SUPI_BAD] = { 400, "OPTIONAL_QUERY_PARAM_INCORRECT", "supi-incorrect" },
	[N5G_ERR_GPSI_BAD] = { 400, "OPTIONAL_QUERY_PARAM_INCORRECT", "gpsi-incorrect" },
	[N5G_ERR_FEATURES_BAD] = { 400, "OPTIONAL_QUERY_PARAM_INCORRECT", "supported-features-incorrect" },
	[N5G_ERR_PARAM_UNKNOWN] = { 400, "INVALID_QUERY_PARAM", "param-unknown" },
	[N5G_ERR_PARAM_DUPLICATE] = { 400, "INVALID_QUERY_PARAM", "param-duplicate" },
};

int n5g_err_status(enum n5g_err e)
{
	return e < N5G_ERR_COUNT ? errs[e].status : 500;
}

const char *n5g_err_cause(enum n5g_err e)
{
	return e < N5G_ERR_COUNT ? errs[e].cause : "SYSTEM_FAILURE";
}

const char *n5g_err_name(enum n5g_err e)
{
	return e < N5G_ERR_COUNT ? errs[e].name : "?";
}

/* ------------------------------------------------------------ decoding */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (NUL-terminated). '+' stays a '+':
 * SBI query values are URI-encoded, not form-encoded. Returns the length,
 * or -1 with *why set. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz, const char **why)
{
	size_t o = 0, i = 0;

	/* The common case, plain text that fits: copied in one tight loop
	 * (decoding only ever shortens, so no bound per octet). */
	if (n < outsz) {
		for (; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '%' || c < 0x20 || c == 0x7f)
				break;
			out[i] = (char)c;
		}
		o = i;
	}
	for (; i < n; i++) {
		unsigned c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				*why = "a '%' not followed by two hex digits";
				return -1;
			}
			c = (unsigned)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "a control character";
			return -1;
		}
		if (o + 1 >= outsz) {
			*why = "too long";
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/* The parameter a decoded name is, or P_COUNT. */
static int param_of(const char *name, int len)
{
	switch (len) {
	case 3:
		return memcmp(name, "pei", 3) ? P_COUNT : P_PEI;
	case 4:
		return !memcmp(name, "supi", 4) ? P_SUPI : !memcmp(name, "gpsi", 4) ? P_GPSI : P_COUNT;
	case 18:
		return memcmp(name, "supported-features", 18) ? P_COUNT : P_FEATURES;
	default:
		return P_COUNT;
	}
}

/* Printable ASCII only, for names echoed in invalidParams and logs. */
static void sanitise(const char *s, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outsz; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[o] = '\0';
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* (-xx){count}, then the rest of s (returned). NULL when it does not match. */
static const char *hex_octets(const char *s, int count)
{
	for (int i = 0; i < count; i++, s += 3) {
		if (s[0] != '-' || hexval(s[1]) < 0 || hexval(s[2]) < 0)
			return NULL;
	}
	return s;
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* ------------------------------------------------------------ parameters */

static enum n5g_err parse_pei(const char *v, size_t n, unsigned imei_flags, struct n5g_request *req)
{
	const char *rest;

	if (!n) {
		req->reason = "empty";
		return N5G_ERR_PEI_BAD;
	}
	if (has_prefix(v, "imeisv-")) {
		if (n - 7 != 16 || !all_digits(v + 7, 16)) {
			req->reason = "imeisv- must be followed by 16 digits";
			return N5G_ERR_PEI_BAD;
		}
		req->pei_kind = N5G_PEI_IMEISV;
		req->q.imei_err = eir_imei_parse(v + 7, 16, imei_flags, &req->q.imei);
		return N5G_OK;
	}
	if (has_prefix(v, "imei-")) {
		if (n - 5 != 15 || !all_digits(v + 5, 15)) {
			req->reason = "imei- must be followed by 15 digits";
			return N5G_ERR_PEI_BAD;
		}
		req->pei_kind = N5G_PEI_IMEI;
		/* The 15th digit as the check-digit policy says. */
		req->q.imei_err = eir_imei_parse(v + 5, 15, imei_flags, &req->q.imei);
		return N5G_OK;
	}
	if (has_prefix(v, "mac-")) {
		rest = hex_octets(v + 3, 6);
		if (!rest || (*rest && strcmp(rest, "-untrusted"))) {
			req->reason = "mac must be followed by 6 octets as -xx";
			return N5G_ERR_PEI_BAD;
		}
		req->pei_kind = N5G_PEI_MAC;
		return N5G_OK;
	}
	if (has_prefix(v, "eui-")) {
		rest = hex_octets(v + 3, 8);
		if (!rest || *rest) {
			req->reason = "eui must be followed by 8 octets as -xx";
			return N5G_ERR_PEI_BAD;
		}
		req->pei_kind = N5G_PEI_EUI64;
		return N5G_OK;
	}
	req->pei_kind = N5G_PEI_OTHER;
	return N5G_OK;
}

static enum n5g_err parse_supi(const char *v, size_t n, struct n5g_request *req)
{
	if (!n) {
		req->reason = "empty";
		return N5G_ERR_SUPI_BAD;
	}
	if (has_prefix(v, "imsi-")) {
		if (n - 5 < 5 || n - 5 > 15 || !all_digits(v + 5, n - 5)) {
			req->reason = "imsi- must be followed by 5 to 15 digits";
			return N5G_ERR_SUPI_BAD;
		}
		/* Five digits pass the pattern but are no IMSI (MCC and MNC
		 * only): judged without pairing. */
		if (eir_imsi_parse(v + 5, n - 5, &req->q.imsi))
			req->q.imsi = 0;
		return N5G_OK;
	}
	/* nai-, gci-, gli- and the pattern's `.+`: not an IMSI, judged
	 * without pairing. */
	return N5G_OK;
}

static enum n5g_err parse_gpsi(const char *v, size_t n, struct n5g_request *req)
{
	const char *at;

	if (!n) {
		req->reason = "empty";
		return N5G_ERR_GPSI_BAD;
	}
	if (has_prefix(v, "msisdn-")) {
		if (n - 7 < 5 || n - 7 > 15 || !all_digits(v + 7, n - 7)) {
			req->reason = "msisdn- must be followed by 5 to 15 digits";
			return N5G_ERR_GPSI_BAD;
		}
		/* Kept with the observation (packed like an IMSI). */
		if (eir_imsi_parse(v + 7, n - 7, &req->q.msisdn))
			req->q.msisdn = 0;
	} else if (has_prefix(v, "extid-")) {
		at = strchr(v + 6, '@');
		if (!at || at == v + 6 || !at[1] || strchr(at + 1, '@')) {
			req->reason = "extid- must be followed by local@domain";
			return N5G_ERR_GPSI_BAD;
		}
	}
	return N5G_OK;
}

static enum n5g_err parse_features(const char *v, size_t n, struct n5g_request *req)
{
	/* SupportedFeatures: ^[A-Fa-f0-9]*$. We support none, so any valid
	 * value is simply noted. */
	for (size_t i = 0; i < n; i++) {
		if (hexval(v[i]) < 0) {
			req->reason = "not a hexadecimal string";
			return N5G_ERR_FEATURES_BAD;
		}
	}
	return N5G_OK;
}

static const enum n5g_err incorrect[P_COUNT] = {
	[P_PEI] = N5G_ERR_PEI_BAD, [P_SUPI] = N5G_ERR_SUPI_BAD, [P_GPSI] = N5G_ERR_GPSI_BAD,
	[P_FEATURES] = N5G_ERR_FEATURES_BAD,
};

enum n5g_err n5g_parse_target(const char *target, size_t len, unsigned imei_flags, struct n5g_request *req)
{
	const char *q = memchr(target, '?', len), *end = target + len;
	size_t plen = q ? (size_t)(q - target) : len;
	bool seen[P_COUNT] = { false };
	char name[64], feat[N5G_VALUE_MAX + 1];
	enum n5g_err e;

	/* Field by field: the request is parsed for every query. */
	req->pei_kind = N5G_PEI_OTHER;
	req->q = (struct eir_query){ 0 };
	req->has_supi = req->has_gpsi = false;
	req->pei[0] = req->supi[0] = req->gpsi[0] = req->param[0] = '\0';
	req->reason = NULL;
	if (plen != sizeof(N5G_API_PATH) - 1 || memcmp(target, N5G_API_PATH, plen)) {
		req->reason = "no such resource";
		return N5G_ERR_PATH;
	}
	for (const char *s = q ? q + 1 : end; s < end;) {
		const char *amp = memchr(s, '&', (size_t)(end - s)), *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		const char *vs = eq ? eq + 1 : stop;
		const char *why = NULL;
		char *value;
		int p, nl, vl;

		if (stop == s) {	/* an empty piece: "a=1&&b=2" */
			s = stop + 1;
			continue;
		}
		nl = pct_decode(s, (size_t)((eq ? eq : stop) - s), name, sizeof(name), &why);
		p = nl < 0 ? P_COUNT : param_of(name, nl);
		if (p == P_COUNT) {
			sanitise(s, (size_t)((eq ? eq : stop) - s), req->param, sizeof(req->param));
			req->reason = "not a parameter of GetEquipmentStatus";
			return N5G_ERR_PARAM_UNKNOWN;
		}
		memcpy(req->param, param_names[p], strlen(param_names[p]) + 1);
		if (seen[p]) {
			req->reason = "given more than once";
			return N5G_ERR_PARAM_DUPLICATE;
		}
		seen[p] = true;
		/* Decoded straight into the request, where the logs find it. */
		value = p == P_PEI ? req->pei : p == P_SUPI ? req->supi : p == P_GPSI ? req->gpsi : feat;
		vl = pct_decode(vs, (size_t)(stop - vs), value, N5G_VALUE_MAX + 1, &why);
		if (vl < 0) {
			value[0] = '\0';
			req->reason = why;
			return incorrect[p];
		}
		switch (p) {
		case P_PEI:
			e = parse_pei(value, (size_t)vl, imei_flags, req);
			break;
		case P_SUPI:
			req->has_supi = true;
			e = parse_supi(value, (size_t)vl, req);
			break;
		case P_GPSI:
			req->has_gpsi = true;
			e = parse_gpsi(value, (size_t)vl, req);
			break;
		default:
			e = parse_features(value, (size_t)vl, req);
			break;
		}
		if (e)
			return e;
		s = stop + (amp ? 1 : 0);
	}
	if (!seen[P_PEI]) {
		memcpy(req->param, "pei", 4);
		req->reason = "the pei parameter is required";
		return N5G_ERR_PEI_MISSING;
	}
	req->param[0] = '\0';
	req->reason = NULL;
	return N5G_OK;
}

/* ------------------------------------------------------------ bodies */

#define BODY(s) { s, sizeof(s) - 1 }

static const struct {
	const char *s;
	size_t n;
} status_bodies[EIR_VERDICT_COUNT] = {
	[EIR_WHITELISTED] = BODY("{\"status\":\"WHITELISTED\"}"),
	[EIR_BLACKLISTED] = BODY("{\"status\":\"BLACKLISTED\"}"),
	[EIR_GREYLISTED] = BODY("{\"status\":\"GREYLISTED\"}"),
};

static const char unknown_body[] =
	"{\"title\":\"Not Found\",\"status\":404,\"detail\":\"The PEI is not in the equipment register\","
	"\"cause\":\"ERROR_EQUIPMENT_UNKNOWN\"}";

const char *n5g_status_body(enum eir_verdict v, size_t *len)
{
	if (v >= EIR_VERDICT_COUNT || !status_bodies[v].s)
		return NULL;
	*len = status_bodies[v].n;
	return status_bodies[v].s;
}

const char *n5g_unknown_body(size_t *len)
{
	*len = sizeof(unknown_body) - 1;
	return unknown_body;
}

static int set_text(json_t *o, const char *key, const char *text)
{
	char clean[512];

	sanitise(text, strlen(text), clean, sizeof(clean));
	return json_object_set_new(o, key, json_string(clean));
}

char *n5g_problem_json(int status, const char *title, const char *cause, const char *detail,
		       const char *param, const char *reason, size_t *len)
{
	json_t *o = json_object(), *ip, *arr;
	char name[N5G_VALUE_MAX + 8];
	char *out = NULL;
	int rc = 0;

	if (!o)
		return NULL;
	rc |= set_text(o, "title", title);
	rc |= json_object_set_new(o, "status", json_integer(status));
	if (detail)
		rc |= set_text(o, "detail", detail);
	if (cause)
		rc |= set_text(o, "cause", cause);
	if (param) {	/* an empty name is still a parameter: "query " */
		/* InvalidParam.param: "query <name>" for a query parameter. */
		snprintf(name, sizeof(name), "query %s", param);
		ip = json_object();
		arr = json_array();
		if (!ip || !arr) {
			json_decref(ip);
			json_decref(arr);
			rc = -1;
		} else {
			rc |= set_text(ip, "param", name);
			if (reason)
				rc |= set_text(ip, "reason", reason);
			rc |= json_array_append_new(arr, ip);
			rc |= json_object_set_new(o, "invalidParams", arr);
		}
	}
	if (!rc)
		out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (out && len)
		*len = strlen(out);
	return out;
}

char *n5g_problem_for(enum n5g_err e, const struct n5g_request *req, size_t *len)
{
	int st = n5g_err_status(e);

	if (e == N5G_ERR_PATH)
		return n5g_problem_json(st, "Not Found", n5g_err_cause(e),
					"no such resource; the service is GET " N5G_API_PATH, NULL, NULL, len);
	return n5g_problem_json(st, "Bad Request", n5g_err_cause(e), NULL, req->param, req->reason, len);
}
