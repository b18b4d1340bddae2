/* sccp_peer: a libosmo-sigtran IPA client with one bound SCCP user. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/sigtran/osmo_ss7.h>

#include "sccp_peer.h"

int sccp_peer_pc(const char *s)
{
	unsigned a, b, c;
	char tail;

	if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 || a > 7 || b > 255 || c > 7)
		return -1;
	return (int)((a << 11) | (b << 3) | c);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sccp_peer_start(struct sccp_peer *p, void *ctx, const char *name, uint32_t pc,
		    int stp_port, uint16_t ssn, osmo_prim_cb cb, int timeout_ms)
{
	char asp_name[64];
	struct osmo_ss7_asp *asp;
	long long until = now_ms() + timeout_ms;

	p->pc = pc;
	p->sccp = osmo_sccp_simple_client_on_ss7_id(ctx, 0, name, pc, OSMO_SS7_ASP_PROT_IPA,
						    0, "127.0.0.1", stp_port, "127.0.0.1");
	if (!p->sccp) {
		fprintf(stderr, "sccp_peer: cannot create the SCCP client %s\n", name);
		return -1;
	}
	p->ss7 = osmo_sccp_get_ss7(p->sccp);
	p->user = osmo_sccp_user_bind(p->sccp, name, cb, ssn);
	if (!p->user) {
		fprintf(stderr, "sccp_peer: cannot bind SSN %u\n", ssn);
		return -1;
	}
	snprintf(asp_name, sizeof(asp_name), "asp-clnt-%s", name);
	asp = osmo_ss7_asp_find_by_name(p->ss7, asp_name);
	while (!asp || !osmo_ss7_asp_active(asp)) {
		if (now_ms() > until) {
			fprintf(stderr, "sccp_peer: %s not active after %d ms\n", asp_name, timeout_ms);
			return -1;
		}
		osmo_select_main(1);
		usleep(5000);
		if (!asp)
			asp = osmo_ss7_asp_find_by_name(p->ss7, asp_name);
	}
	return 0;
}
