/* Helpers shared by the unit tests: scratch directories. */
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int testutil_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* A fresh directory under $TMPDIR; free the result with tmpdir_free(). */
static inline char *tmpdir_new(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = malloc(strlen(base) + 32);

	if (!p)
		abort();
	sprintf(p, "%s/eir-unit-XXXXXX", base);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

static inline void tmpdir_free(char *p)
{
	nftw(p, testutil_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(p);
}
