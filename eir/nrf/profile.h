/* libnrf: what eird says to an NRF (3GPP TS 29.510 Nnrf_NFManagement) and
 * reads back, as JSON text: the NF profile of a 5G-EIR for NFRegister, the
 * heartbeat's JSON Patch, the heartBeatTimer and the ProblemDetails of an
 * answer, and the NF instance id (a UUID). Pure: no I/O but the random
 * source, no event loop; eird's NRF client (eir/eird/nrf.c) does the HTTP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A UUID in its text form, 8-4-4-4-12 hex digits, without the NUL. */
#define NRF_UUID_LEN 36

/* The service a 5G-EIR produces (TS 29.511) and the version we implement. */
#define NRF_SERVICE_NAME "n5g-eir-eic"
#define NRF_SERVICE_API_VERSION "v1"
#define NRF_SERVICE_FULL_VERSION "1.4.0"
#define NRF_SERVICE_INSTANCE_ID "n5g-eir-eic-1"

/* A heartBeatTimer from an NRF past this is not taken (we then keep ours,
 * which only makes us send more often than required). */
#define NRF_HEARTBEAT_MAX 86400

struct nrf_plmn {
	const char *mcc;	/* 3 digits */
	const char *mnc;	/* 2 or 3 digits */
};

/* What the profile says; strings are copied into the JSON. */
struct nrf_profile {
	const char *instance_id;	/* nfInstanceId, a UUID */
	const char *service_instance_id; /* NULL: NRF_SERVICE_INSTANCE_ID */
	unsigned heartbeat;		/* heartBeatTimer asked for, s; 0: none (the NRF's default) */
	const char *scheme;		/* of our n5g-eir-eic service: "http" or "https" */
	const char *addr;		/* the address the service listens on */
	uint16_t port;
	/* The address to publish instead of addr; required when addr is not
	 * one a consumer can reach (0.0.0.0, ::, or a name). */
	const char *advertise;
	const char *fqdn;		/* or NULL */
	const struct nrf_plmn *plmn;	/* plmnList; none: the NRF's PLMN is assumed */
	size_t n_plmn;
};

/* The NFProfile for PUT .../nf-instances/{nfInstanceId}: a malloc'd,
 * NUL-terminated JSON text in *json (free() it). 0, or -EINVAL with the
 * reason in err (an address that cannot be published, a bad PLMN, a bad
 * UUID or scheme), or -ENOMEM. */
int nrf_profile_build(const struct nrf_profile *p, char **json, char *err, size_t errsz);

/* The address nrf_profile_build() publishes for p, normalised, in buf
 * (INET6_ADDRSTRLEN is enough), and its family (AF_INET, AF_INET6); or
 * -EINVAL with the reason in err. */
int nrf_profile_address(const struct nrf_profile *p, char *buf, size_t sz, int *family,
			char *err, size_t errsz);

/* The heartBeatTimer of an NRF's answer to NFRegister (the stored profile,
 * or its changes): 1 with *hb set; 0 when absent; -EBADMSG when the body
 * is not a JSON object; -EINVAL when it is not an integer within
 * 1..NRF_HEARTBEAT_MAX. *hb is untouched unless 1 is returned. */
int nrf_answer_heartbeat(const char *body, size_t len, unsigned *hb);

/* A one-line summary of a ProblemDetails body (TS 29.571): title,
 * detail and cause as present, cleaned of control characters, in buf.
 * The length written, or -EBADMSG when it is not a JSON object with any
 * of them (buf is then ""). */
int nrf_problem_text(const char *body, size_t len, char *buf, size_t sz);

/* The NFUpdate (heartbeat) body: a JSON Patch (RFC 6902) replacing
 * /nfStatus with REGISTERED; static, NUL-terminated. */
const char *nrf_heartbeat_body(void);

/* A random UUID version 4 (RFC 9562), lower case, in out; 0 or -errno
 * when the kernel gives no random bytes. */
int nrf_uuid_generate(char out[NRF_UUID_LEN + 1]);

/* Whether s is a UUID in text form (8-4-4-4-12 hex digits, either case;
 * any version). */
bool nrf_uuid_valid(const char *s);
