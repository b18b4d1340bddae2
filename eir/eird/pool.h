/* A small-block allocator for the HTTP/2 front end: nghttp2 allocates and
 * frees a handful of small objects per request (streams, frames, header
 * copies); size classes with bounded free lists turn most of those into
 * a pointer swap. Blocks above the largest class, and every block under
 * AddressSanitizer, go to malloc. Single-threaded, like eird. */
#pragma once

#include <stddef.h>

void *pool_malloc(size_t size);
void *pool_calloc(size_t nmemb, size_t size);
void *pool_realloc(void *p, size_t size);
void pool_free(void *p);
/* Give the cached blocks back to malloc (at shutdown). */
void pool_trim(void);
/* 1 when every block is malloc's own (built with AddressSanitizer). */
int pool_passthrough(void);
