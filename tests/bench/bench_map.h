/* eir-bench map: MAP CheckIMEI load through an STP (bench_map.c). */
#pragma once

int bench_map_main(int argc, char **argv);
