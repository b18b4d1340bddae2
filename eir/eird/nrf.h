/* eird's NRF client (3GPP TS 29.510): registers eird as a 5G-EIR so that
 * AMFs discover its N5g-eir service, keeps the registration alive with
 * heartbeats, registers again when the NRF forgot it, and deregisters on
 * a clean stop. HTTP/2 through libcurl's multi interface on eird's event
 * loop: nothing here waits for the NRF but nrf_stop(), bounded. The N5g-eir
 * front end (fe_n5g.c) starts and stops it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum nrf_event {
	NRF_EV_REGISTERED,		/* NFRegister answered 201 or 200 */
	NRF_EV_REGISTER_FAILED,		/* a failed NFRegister (each retry) */
	NRF_EV_HEARTBEAT_OK,
	NRF_EV_HEARTBEAT_FAILED,	/* anything but 204, 200, 404 */
	NRF_EV_HEARTBEAT_NOT_FOUND,	/* 404: the NRF forgot us; we register again */
	NRF_EV_DEREGISTERED,		/* NFDeregister answered 204 (in nrf_stop) */
	NRF_EV_COUNT
};

/* Copied by nrf_start(): the caller may free it afterwards. */
struct nrf_cfg {
	/* The NRF's apiRoot, "http://127.0.0.1:7777" (a path prefix is kept);
	 * we append /nnrf-nfm/v1/nf-instances/{nfInstanceId}. */
	const char *uri;
	unsigned heartbeat;		/* heartBeatTimer asked for, s; 0: none (the NRF's; 10 if it says none). The NRF's answer wins. */
	const char *instance_id;	/* a configured UUID, or NULL: read from instance_file or create it there */
	/* e.g. <database dir>/n5g-nf-instance-id: the id survives restarts,
	 * so the NRF sees one NF; created atomically. NULL with no
	 * instance_id: a new id at each start. */
	const char *instance_file;
	const char *scheme;		/* of OUR N5g-eir service: "http" or "https"; NULL: http */
	const char *addr;		/* our listen address */
	uint16_t port;			/* our listen port */
	const char *advertise;		/* the address to publish instead (needed when addr is 0.0.0.0 or ::), or NULL */
	const char *fqdn;		/* or NULL */
	/* Our PLMN for plmnList, or NULL (both): the NRF then assumes its
	 * own. An NRF refuses a PLMN it does not serve. */
	const char *mcc, *mnc;
	/* For the front end's counters; may be NULL. Called from the event
	 * loop, last in what the event changed (nrf_stop() from it is safe). */
	void (*event)(enum nrf_event ev);
};

/* Start registering; never waits for the NRF. 0, or a negative errno with
 * the reason logged: -EINVAL (a bad uri, instance id or file content,
 * or an address that cannot be published), -EALREADY, or what reading
 * or writing the instance file failed with. */
int nrf_start(void *ctx, const struct nrf_cfg *cfg);

/* Deregister (DELETE, waiting at most 2 s in all, also when the NRF is
 * dead) and free everything; a no-op when not started. */
void nrf_stop(void);

struct nrf_status {
	const char *state;	/* "off", "registering", "registered", "retrying", "deregistered" */
	bool registered;
	const char *instance_id;	/* NULL before the first start */
	const char *uri;		/* the NRF's; NULL when not running */
	unsigned heartbeat;	/* in use: the NRF's answer, else what we ask */
	uint64_t last_ok_ns;	/* CLOCK_MONOTONIC of the last answered NFRegister or heartbeat; 0: never */
};

/* The strings stay valid until the next nrf_start() or nrf_stop(). */
void nrf_get_status(struct nrf_status *st);
