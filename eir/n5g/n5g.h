/* N5g-eir EquipmentIdentityCheck (TS 29.511), the HTTP-independent part:
 * the request target of `GET /n5g-eir-eic/v1/equipment-status?...` parsed
 * into an identity for the policy, and the JSON bodies of the answers
 * (docs/protocols.md §5). Pure: no event loop, no HTTP/2. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imei.h"
#include "policy.h"

#define N5G_API_PATH "/n5g-eir-eic/v1/equipment-status"
#define N5G_VALUE_MAX 128	/* longest query value kept (decoded) */

/* The PEI forms of TS 29.571's Pei pattern. */
enum n5g_pei_kind {
	N5G_PEI_IMEI,		/* imei-<15 digits> */
	N5G_PEI_IMEISV,		/* imeisv-<16 digits> */
	N5G_PEI_MAC,		/* mac-xx-xx-xx-xx-xx-xx[-untrusted] */
	N5G_PEI_EUI64,		/* eui-xx-..-xx (8 octets) */
	N5G_PEI_OTHER,		/* the pattern's catch-all `.+` */
};

/* Why a request is refused; each has its own counter in eird. */
enum n5g_err {
	N5G_OK = 0,
	N5G_ERR_PATH,		/* 404: not the equipment-status resource */
	N5G_ERR_PEI_MISSING,	/* 400 MANDATORY_QUERY_PARAM_MISSING */
	N5G_ERR_PEI_BAD,	/* 400 MANDATORY_QUERY_PARAM_INCORRECT */
	N5G_ERR_SUPI_BAD,	/* 400 OPTIONAL_QUERY_PARAM_INCORRECT */
	N5G_ERR_GPSI_BAD,	/* 400 OPTIONAL_QUERY_PARAM_INCORRECT */
	N5G_ERR_FEATURES_BAD,	/* 400 OPTIONAL_QUERY_PARAM_INCORRECT */
	N5G_ERR_PARAM_UNKNOWN,	/* 400 INVALID_QUERY_PARAM */
	N5G_ERR_PARAM_DUPLICATE,/* 400 INVALID_QUERY_PARAM */
	N5G_ERR_COUNT
};

struct n5g_request {
	enum n5g_pei_kind pei_kind;
	/* For imei/imeisv: the identity (or its parse error under the
	 * check-digit policy: the policy's invalid-imei outcome). */
	struct eir_query q;
	bool has_supi, has_gpsi;
	char pei[N5G_VALUE_MAX + 1];	/* decoded, for logs */
	char supi[N5G_VALUE_MAX + 1];
	char gpsi[N5G_VALUE_MAX + 1];
	/* On an error: the parameter ("pei", or the unknown name, sanitised
	 * to printable ASCII) and why, for invalidParams. */
	char param[N5G_VALUE_MAX + 1];
	const char *reason;
};

/* Parse a request target (":path", with its query). imei_flags is the
 * policy's check-digit setting. Returns N5G_OK or the error; req->param
 * and req->reason say which parameter and why. */
enum n5g_err n5g_parse_target(const char *target, size_t len, unsigned imei_flags, struct n5g_request *req);

/* The HTTP status and TS 29.500 cause of an error. */
int n5g_err_status(enum n5g_err e);
const char *n5g_err_cause(enum n5g_err e);
/* Short name for counters and logs: "pei-missing". */
const char *n5g_err_name(enum n5g_err e);

/* The 200 body for a verdict: {"status":"WHITELISTED"} (fixed strings);
 * NULL for EIR_UNKNOWN (a 404, n5g_unknown_body). */
const char *n5g_status_body(enum eir_verdict v, size_t *len);
/* 404 ProblemDetails with cause ERROR_EQUIPMENT_UNKNOWN (fixed). */
const char *n5g_unknown_body(size_t *len);

/* A ProblemDetails (TS 29.571) as a malloc'd string, or NULL when out of
 * memory: status, title, cause, detail (optional), and one invalidParams
 * entry when param is set ("query <param>", reason). Text is made
 * printable ASCII before it goes in. Free with free(). */
char *n5g_problem_json(int status, const char *title, const char *cause, const char *detail,
		       const char *param, const char *reason, size_t *len);
/* The ProblemDetails of a parse error. */
char *n5g_problem_for(enum n5g_err e, const struct n5g_request *req, size_t *len);
