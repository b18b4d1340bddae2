/* Snapshot input: a line reader over plain or compressed files (gzip,
 * bzip2, xz, zstd or a zip holding one file; libarchive). Nested
 * compression, data after the compressed stream and input that expands
 * beyond its limit are refused. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct snap_input;

/* Open path ("-" for standard input) and read its first block. errbuf
 * says why on failure ("path: why"). */
int snap_input_open(struct snap_input **in, const char *path, char *errbuf, size_t errsz);
/* The same over bytes in memory (they must outlive the reader). */
int snap_input_open_memory(struct snap_input **in, const void *data, size_t len,
			   char *errbuf, size_t errsz);
/* Next line without its "\n": returns its length (>= 0) with *line valid
 * until the next call, -1 at the end of input, or -2 on an error (see
 * snap_input_error). */
ssize_t snap_input_line(struct snap_input *in, const char **line);
const char *snap_input_error(const struct snap_input *in);
/* Refuse (an error from snap_input_line) input that expands to more than
 * max_bytes; 0: no limit. */
void snap_input_limit(struct snap_input *in, uint64_t max_bytes);
/* Compressed bytes read so far and the file size (0 if unknown), for
 * progress reports. */
uint64_t snap_input_pos(const struct snap_input *in);
uint64_t snap_input_size(const struct snap_input *in);
void snap_input_close(struct snap_input *in);
