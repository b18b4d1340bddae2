/* sccp_peer: the SCCP end of the test MSC and of the MAP load generator.
 * One libosmo-sigtran simple client over IPA (TCP) to an osmo-stp on
 * loopback, one SCCP user bound on a subsystem number. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/prim.h>
#include <osmocom/sigtran/sccp_sap.h>

struct sccp_peer {
	struct osmo_sccp_instance *sccp;
	struct osmo_sccp_user *user;
	struct osmo_ss7_instance *ss7;
	uint32_t pc;
};

/* Parse "a.b.c" (ITU 3.8.3) into a point code; -1 on error. */
int sccp_peer_pc(const char *s);
/* Connect as IPA unit "asp-clnt-NAME" to the STP at 127.0.0.1:stp_port with
 * point code pc, bind `ssn` with cb, and wait up to timeout_ms for the ASP to
 * become active. Returns 0, or -1 with a message on stderr. */
int sccp_peer_start(struct sccp_peer *p, void *ctx, const char *name, uint32_t pc,
		    int stp_port, uint16_t ssn, osmo_prim_cb cb, int timeout_ms);
