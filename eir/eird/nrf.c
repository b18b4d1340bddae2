#include "nrf.h"
int nrf_start(void *ctx, const struct nrf_cfg *cfg) { return 0; }
void nrf_stop(void) {}
void nrf_get_status(struct nrf_status *st) { *st = (struct nrf_status){ .state = "off", .uri = "" }; }
