/* Size classes of 32 bytes to 16 KiB, each block behind a 16-byte header
 * naming its class; freed blocks wait on their class's list, at most
 * POOL_CACHE_BYTES per class, so that a burst never pins more memory
 * than that. pool.h says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define POOL_PASSTHROUGH 1	/* let ASan see every block */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_PASSTHROUGH 1
#endif
#endif

#define HDR 16			/* keeps the 16-byte alignment of malloc */
#define N_CLASSES 10		/* 32 << 0 .. 32 << 9 = 16 KiB */
#define BIG 0xffu		/* not pooled: malloc'd as it is */
#define POOL_CACHE_BYTES (1u << 20)

struct hdr {
	uint32_t cls;
	uint32_t pad;
	uint64_t size;		/* BIG: the size asked for */
};

_Static_assert(sizeof(struct hdr) == HDR, "header size");

#ifndef POOL_PASSTHROUGH
static struct {
	void *head[N_CLASSES];
	unsigned count[N_CLASSES];
} P;

static size_t class_size(unsigned c)
{
	return (size_t)32 << c;
}

static unsigned class_of(size_t size)
{
	unsigned c = 0;

	while (c < N_CLASSES && class_size(c) < size)
		c++;
	return c < N_CLASSES ? c : BIG;
}
#endif

void *pool_malloc(size_t size)
{
#ifdef POOL_PASSTHROUGH
	return malloc(size);
#else
	unsigned c = class_of(size);
	struct hdr *h;

	if (c != BIG && P.head[c]) {
		h = P.head[c];
		P.head[c] = *(void **)((char *)h + HDR);
		P.count[c]--;
		return (char *)h + HDR;
	}
	if (size > SIZE_MAX - HDR)
		return NULL;
	h = malloc(HDR + (c == BIG ? size : class_size(c)));
	if (!h)
		return NULL;
	h->cls = c;
	h->size = size;
	return (char *)h + HDR;
#endif
}

void pool_free(void *p)
{
#ifdef POOL_PASSTHROUGH
	free(p);
#else
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)((char *)p - HDR);
	if (h->cls == BIG || P.count[h->cls] >= POOL_CACHE_BYTES / class_size(h->cls)) {
		free(h);
		return;
	}
	*(void **)p = P.head[h->cls];
	P.head[h->cls] = h;
	P.count[h->cls]++;
#endif
}

void *pool_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = pool_malloc(nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

void *pool_realloc(void *p, size_t size)
{
#ifdef POOL_PASSTHROUGH
	return realloc(p, size);
#else
	struct hdr *h;
	size_t have;
	void *q;

	if (!p)
		return pool_malloc(size);
	if (!size) {
		pool_free(p);
		return NULL;
	}
	h = (struct hdr *)((char *)p - HDR);
	have = h->cls == BIG ? h->size : class_size(h->cls);
	if (h->cls != BIG && size <= have)
		return p;
	q = pool_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, have < size ? have : size);
	pool_free(p);
	return q;
#endif
}

void pool_trim(void)
{
#ifndef POOL_PASSTHROUGH
	for (unsigned c = 0; c < N_CLASSES; c++) {
		while (P.head[c]) {
			struct hdr *h = P.head[c];
			P.head[c] = *(void **)((char *)h + HDR);
			free(h);
		}
		P.count[c] = 0;
	}
#endif
}

int pool_passthrough(void)
{
#ifdef POOL_PASSTHROUGH
	return 1;
#else
	return 0;
#endif
}
