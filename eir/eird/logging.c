/* eird's log categories: one per area, each raised on its own from the
 * VTY (`logging level db debug`); docs/configuration.md lists them. */
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include "eird.h"

static const struct log_info_cat eird_log_cats[] = {
	[DMAIN] = { .name = "DMAIN", .description = "Main program", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DDB] = { .name = "DDB", .description = "Database access", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DPOLICY] = { .name = "DPOLICY", .description = "Policy", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DDIAM] = { .name = "DDIAM", .description = "Diameter S13", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DMAP] = { .name = "DMAP", .description = "MAP CheckIMEI (TCAP over SCCP)", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DN5G] = { .name = "DN5G", .description = "5G N5g-eir over HTTP/2", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DNRF] = { .name = "DNRF", .description = "Registration in the NRF", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DOBS] = { .name = "DOBS", .description = "Observations (the observed-db store)", .enabled = 1, .loglevel = LOGL_NOTICE },
};

static const struct log_info eird_log_info = {
	.cat = eird_log_cats,
	.num_cat = ARRAY_SIZE(eird_log_cats),
};

void eird_log_init(void *ctx)
{
	osmo_init_logging2(ctx, &eird_log_info);
}
