#pragma once
#include <stdbool.h>
#include <stdint.h>
enum nrf_event { NRF_EV_REGISTERED, NRF_EV_REGISTER_FAILED, NRF_EV_HEARTBEAT_OK, NRF_EV_HEARTBEAT_FAILED,
                 NRF_EV_HEARTBEAT_NOT_FOUND, NRF_EV_DEREGISTERED, NRF_EV_COUNT };
struct nrf_cfg {
	const char *uri; unsigned heartbeat; const char *instance_id; const char *instance_file;
	const char *scheme; const char *addr; uint16_t port; const char *advertise; const char *fqdn;
	void (*event)(enum nrf_event ev);
};
int nrf_start(void *ctx, const struct nrf_cfg *cfg);
void nrf_stop(void);
struct nrf_status { const char *state; bool registered; const char *instance_id; const char *uri;
                    unsigned heartbeat; uint64_t last_ok_ns; };
void nrf_get_status(struct nrf_status *st);
