/* Unit test of pool.c: blocks of every class and above, reuse of freed
 * blocks, realloc across classes keeping the contents, calloc zeroing,
 * and the bound on what a class keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pool.h"

static void test_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 31, 32, 33, 1000, 4096, 16384, 16385, 100000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = pool_malloc(sizes[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xa5, sizes[i]);
		pool_free(p);
	}
	pool_free(NULL);
}

static void test_realloc_keeps(void **state)
{
	unsigned char *p = pool_malloc(20), *q;

	for (int i = 0; i < 20; i++)
		p[i] = (unsigned char)i;
	q = pool_realloc(p, 30);	/* same class: the same block */
	if (!pool_passthrough())	/* under ASan every block is malloc's */
		assert_ptr_equal(q, p);
	q = pool_realloc(q, 5000);
	for (int i = 0; i < 20; i++)
		assert_int_equal(q[i], i);
	q = pool_realloc(q, 50000);	/* above the classes */
	for (int i = 0; i < 20; i++)
		assert_int_equal(q[i], i);
	q = pool_realloc(q, 10);	/* shrinks out of the big block */
	for (int i = 0; i < 10; i++)
		assert_int_equal(q[i], i);
	assert_null(pool_realloc(q, 0));
	q = pool_realloc(NULL, 8);
	assert_non_null(q);
	pool_free(q);
}

static void test_zeroed(void **state)
{
	unsigned char *p = pool_malloc(100);

	memset(p, 0xff, 100);
	pool_free(p);
	p = pool_calloc(10, 10);	/* likely the block just freed */
	for (int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	pool_free(p);
	assert_null(pool_calloc(SIZE_MAX / 2, 4));
}

static void test_many(void **state)
{
	enum { N = 20000 };
	static void *v[N];

	/* More than a class keeps: the rest goes back to malloc. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			v[i] = pool_malloc((size_t)(i % 300) + 1);
			assert_non_null(v[i]);
			memset(v[i], i & 0xff, (size_t)(i % 300) + 1);
		}
		for (int i = 0; i < N; i++) {
			assert_int_equal(*(unsigned char *)v[i], i & 0xff);
			pool_free(v[i]);
		}
	}
	pool_trim();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_realloc_keeps),
		cmocka_unit_test(test_zeroed),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
