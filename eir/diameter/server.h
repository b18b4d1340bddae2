/* eird's Diameter front end: the `diameter` VTY node, listeners (TCP, or
 * SCTP where the kernel has it), peers and S13 ME-Identity-Check. */
#pragma once

void diameter_vty_init(void);
/* Open the configured listeners; 0 or negative errno (fatal at startup). */
int diameter_start(void);
