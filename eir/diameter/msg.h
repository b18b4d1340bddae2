/* Diameter messages an S13 EIR exchanges: base commands (CER/CEA, DWR/DWA,
 * DPR/DPA), ME-Identity-Check (ECR/ECA) and error answers, decoded with the
 * RFC 6733 checks that choose the error answer, and encoded in the AVP
 * order of docs/protocols.md §1.7/§2.5. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "diam.h"

#define DIAM_APP_BASE 0
#define DIAM_APP_S13 16777252u
#define DIAM_APP_RELAY 0xffffffffu
#define DIAM_VENDOR_3GPP 10415u
/* Address families of the Address AVP type (RFC 6733 4.3.1, IANA). */
#define DIAM_AF_IPV4 1
#define DIAM_AF_IPV6 2

enum diam_cmd {
	DIAM_CMD_CE = 257,
	DIAM_CMD_DW = 280,
	DIAM_CMD_DP = 282,
	DIAM_CMD_MEIC = 324,	/* ME-Identity-Check */
};

enum diam_avp_code {
	AVP_USER_NAME = 1,
	AVP_HOST_IP_ADDRESS = 257,
	AVP_AUTH_APP_ID = 258,
	AVP_ACCT_APP_ID = 259,
	AVP_VSAI = 260,
	AVP_SESSION_ID = 263,
	AVP_ORIGIN_HOST = 264,
	AVP_SUPPORTED_VENDOR_ID = 265,
	AVP_VENDOR_ID = 266,
	AVP_FIRMWARE_REVISION = 267,
	AVP_RESULT_CODE = 268,
	AVP_PRODUCT_NAME = 269,
	AVP_DISCONNECT_CAUSE = 273,
	AVP_AUTH_SESSION_STATE = 277,
	AVP_ORIGIN_STATE_ID = 278,
	AVP_FAILED_AVP = 279,
	AVP_ERROR_MESSAGE = 281,
	AVP_ROUTE_RECORD = 282,
	AVP_DESTINATION_REALM = 283,
	AVP_PROXY_INFO = 284,
	AVP_DESTINATION_HOST = 293,
	AVP_ORIGIN_REALM = 296,
	AVP_EXPERIMENTAL_RESULT = 297,
	AVP_EXPERIMENTAL_RESULT_CODE = 298,
	AVP_INBAND_SECURITY_ID = 299,
	AVP_DRMP = 301,
	/* 3GPP, vendor 10415 */
	AVP_TERMINAL_INFORMATION = 1401,
	AVP_IMEI = 1402,
	AVP_SOFTWARE_VERSION = 1403,
	AVP_EQUIPMENT_STATUS = 1445,
	AVP_3GPP2_MEID = 1471,
};

enum diam_result {
	DIAM_SUCCESS = 2001,
	DIAM_COMMAND_UNSUPPORTED = 3001,
	DIAM_APPLICATION_UNSUPPORTED = 3007,
	DIAM_INVALID_HDR_BITS = 3008,
	DIAM_INVALID_AVP_BITS = 3009,
	DIAM_UNKNOWN_PEER = 3010,
	DIAM_AVP_UNSUPPORTED = 5001,
	DIAM_INVALID_AVP_VALUE = 5004,
	DIAM_MISSING_AVP = 5005,
	DIAM_AVP_OCCURS_TOO_MANY_TIMES = 5009,
	DIAM_NO_COMMON_APPLICATION = 5010,
	DIAM_UNABLE_TO_COMPLY = 5012,
	DIAM_INVALID_AVP_LENGTH = 5014,
	DIAM_ERROR_EQUIPMENT_UNKNOWN = 5422,	/* 3GPP, inside Experimental-Result */
};

/* A string or octet string inside the received message. */
struct diam_str {
	const uint8_t *p;
	uint32_t n;
};

/* Why a request cannot be served: the Result-Code to answer with, the AVP
 * to quote in Failed-AVP (as received, or a sample of a missing one) and a
 * short text for Error-Message and logs. */
struct diam_fault {
	uint32_t result;
	const uint8_t *avp;	/* received AVP, or NULL */
	uint32_t avp_len;
	uint32_t missing_code, missing_vendor;	/* sample AVP for 5005 */
	const char *text;
};

/* Capabilities-Exchange-Request, as much as the responder needs. */
struct diam_cer {
	struct diam_str origin_host, origin_realm, product_name;
	uint32_t vendor_id;
	unsigned n_host_ip;
	bool s13, relay;	/* advertises S13 (any of the three ways), or Relay */
	uint32_t origin_state_id;
	bool has_origin_state_id;
};

/* Watchdog or Disconnect-Peer request. */
struct diam_peer_req {
	struct diam_str origin_host, origin_realm;
	uint32_t disconnect_cause;	/* DPR */
};

struct s13_ecr {
	struct diam_str session_id, origin_host, origin_realm, dest_host, dest_realm;
	struct diam_str imei, software_version, user_name;
	uint32_t auth_session_state;
	bool has_imei, has_software_version, has_user_name, has_dest_host;
};

/* The checks common to every received message: header bits against the
 * command, AVP lengths. Returns 0 or a fault. */
int diam_check_header(const struct diam_hdr *h, struct diam_fault *f);

/* Each decoder returns 0, or -1 with f filled. */
int diam_cer_decode(const uint8_t *msg, size_t len, struct diam_cer *cer, struct diam_fault *f);
int diam_peer_req_decode(const uint8_t *msg, size_t len, struct diam_peer_req *r, struct diam_fault *f);
int s13_ecr_decode(const uint8_t *msg, size_t len, struct s13_ecr *r, struct diam_fault *f);
/* The Session-Id of any message, for error answers (n = 0 when absent). */
struct diam_str diam_session_id(const uint8_t *msg, size_t len);

/* Identity of this node, put into every answer. */
struct diam_self {
	const char *origin_host, *origin_realm, *product_name;
	uint32_t vendor_id, origin_state_id, firmware_revision;
	/* Host-IP-Address values (RFC 6733 5.3.5: the addresses the peer
	 * reaches us on), address family 1 and 2 (docs/protocols.md §1). */
	const uint8_t (*ipv4)[4];
	unsigned n_ipv4;
	const uint8_t (*ipv6)[16];
	unsigned n_ipv6;
};

/* Answers copy hop-by-hop and end-to-end identifiers and the P flag. */
long diam_cea_encode(struct diam_buf *b, const struct diam_hdr *req, const struct diam_self *self,
		     uint32_t result, const char *error_message);
long diam_dwa_encode(struct diam_buf *b, const struct diam_hdr *req, const struct diam_self *self);
long diam_dpa_encode(struct diam_buf *b, const struct diam_hdr *req, const struct diam_self *self);
long diam_dwr_encode(struct diam_buf *b, const struct diam_self *self, uint32_t hbh, uint32_t e2e);
/* An answer carrying a fault: the E bit for protocol errors (3xxx), the
 * command's own answer otherwise (with Auth-Session-State for S13). */
long diam_error_encode(struct diam_buf *b, const struct diam_hdr *req, struct diam_str session_id,
		       const struct diam_self *self, const struct diam_fault *f);

/* ECA: equipment_status 0..2 with Result-Code 2001, or -1 for
 * Experimental-Result 5422 (unknown equipment). */
long s13_eca_encode(struct diam_buf *b, const struct diam_hdr *req, struct diam_str session_id,
		    const struct diam_self *self, int equipment_status);
/* ECR, for test clients and the load generator. */
struct s13_ecr_params {
	const char *session_id, *origin_host, *origin_realm, *dest_realm;
	const char *imei, *software_version, *user_name;	/* NULL to omit */
};
long s13_ecr_encode(struct diam_buf *b, const struct s13_ecr_params *p, uint32_t hbh, uint32_t e2e);
