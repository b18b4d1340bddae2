/* Snapshot input (input.h): libarchive does the decompression and the zip
 * container; this file splits the stream into lines and refuses what is
 * not one plain text inside at most one layer of compression: nested
 * compression, trailing data after a compressed stream, and input that
 * expands beyond its limit. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "input.h"

#define LINE_MAX_LEN (64 * 1024)

struct snap_input {
	struct archive *a;
	const char *blk;	/* current data block */
	size_t blk_len, blk_off;
	char *acc;		/* a line that spans blocks */
	size_t acc_len, acc_cap;
	uint64_t size;
	uint64_t total, max;	/* bytes after decompression, and their limit (0: none) */
	int eof;
	char err[256];
};

/* Signatures of compressed data and archives, to refuse them inside a
 * compressed file (nested compression) or in a format not read here. */
static const struct {
	const char *name;
	const char *magic;
	size_t len;
} magics[] = {
	{ "gzip", "\x1f\x8b", 2 },
	{ "compress", "\x1f\x9d", 2 },
	{ "xz", "\xfd" "7zXZ\0", 6 },
	{ "zstd", "\x28\xb5\x2f\xfd", 4 },
	{ "lz4", "\x04\x22\x4d\x18", 4 },
	{ "lzip", "LZIP", 4 },
	{ "lzop", "\x89LZO", 4 },
	{ "zip", "PK\x03\x04", 4 },
	{ "7z", "7z\xbc\xaf\x27\x1c", 6 },
	{ "rar", "Rar!\x1a\x07", 6 },
};

static const char *magic_of(const char *p, size_t n)
{
	if (n >= 4 && !memcmp(p, "BZh", 3) && p[3] >= '1' && p[3] <= '9')
		return "bzip2";
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (n >= magics[i].len && !memcmp(p, magics[i].magic, magics[i].len))
			return magics[i].name;
	}
	return NULL;
}

/* A limit for messages: 1G, 64M, 10K or plain bytes. */
static void format_size(uint64_t v, char *out, size_t outsz)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && v % 1024 == 0)
		v /= 1024, u++;
	if (u < 0)
		snprintf(out, outsz, "%llu", (unsigned long long)v);
	else
		snprintf(out, outsz, "%llu%c", (unsigned long long)v, units[u]);
}

static int over_limit(struct snap_input *in)
{
	char lim[32];

	format_size(in->max, lim, sizeof(lim));
	snprintf(in->err, sizeof(in->err), "expands to more than %llu bytes (--max-bytes %s)",
		 (unsigned long long)in->max, lim);
	return -2;
}

static int next_block(struct snap_input *in);

/* Decompression libarchive does itself: never an external program. */
static void support_filters(struct archive *a)
{
	static int (*const filters[])(struct archive *) = {
		archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
		archive_read_support_filter_xz, archive_read_support_filter_lzma,
		archive_read_support_filter_zstd,
	};

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct archive *probe = archive_read_new();
		int rc = filters[i](probe);	/* ARCHIVE_WARN: it would run a program */

		archive_read_free(probe);
		if (rc == ARCHIVE_OK)
			filters[i](a);
	}
}

/* Compression layers around the text: decompression filters plus a zip
 * container. More than one is refused. */
static int check_layers(struct snap_input *in, char *errbuf, size_t errsz, const char *path)
{
	int nf = archive_filter_count(in->a) - 1;	/* the last one reads the file */
	bool zip = archive_format(in->a) != ARCHIVE_FORMAT_RAW;

	if (nf + zip <= 1)
		return 0;
	snprintf(errbuf, errsz, "%s: nested compression (%s inside %s): refused", path,
		 zip ? "zip" : archive_filter_name(in->a, nf - 2), archive_filter_name(in->a, nf - 1));
	return -EINVAL;
}

/* Open from a file name, standard input ("-") or memory (data != NULL). */
static int input_open(struct snap_input **out, const char *path, const void *data, size_t len,
		      char *errbuf, size_t errsz)
{
	struct snap_input *in = calloc(1, sizeof(*in));
	struct archive_entry *ent;
	struct stat st;
	int rc;

	if (!in)
		return -ENOMEM;
	in->a = archive_read_new();
	support_filters(in->a);
	archive_read_support_format_zip(in->a);
	archive_read_support_format_raw(in->a);
	if (data) {
		in->size = len;
		rc = archive_read_open_memory(in->a, data, len);
	} else {
		if (strcmp(path, "-") && stat(path, &st) == 0)
			in->size = (uint64_t)st.st_size;
		rc = strcmp(path, "-") ? archive_read_open_filename(in->a, path, 1 << 16)
				       : archive_read_open_fd(in->a, 0, 1 << 16);
	}
	if (rc == ARCHIVE_OK)
		rc = archive_read_next_header(in->a, &ent);
	if (rc != ARCHIVE_OK) {
		snprintf(errbuf, errsz, "%s: %s", path,
			 rc == ARCHIVE_EOF ? "empty archive" :
			 archive_error_string(in->a) ? archive_error_string(in->a) : "cannot open");
		goto fail;
	}
	if (check_layers(in, errbuf, errsz, path))
		goto fail;
	/* The first block tells whether the text is compressed once more. */
	rc = next_block(in);
	if (rc == -2) {
		snprintf(errbuf, errsz, "%s: %s", path, in->err);
		goto fail;
	}
	const char *inner = rc == 0 ? magic_of(in->blk, in->blk_len) : NULL;
	if (inner) {
		int nf = archive_filter_count(in->a) - 1;
		bool zip = archive_format(in->a) != ARCHIVE_FORMAT_RAW;

		if (nf + zip)
			snprintf(errbuf, errsz, "%s: nested compression (%s inside %s): refused", path, inner,
				 zip ? "zip" : archive_filter_name(in->a, nf - 1));
		else
			snprintf(errbuf, errsz, "%s: %s compression is not supported (plain, gzip, bzip2, xz, zstd or zip)",
				 path, inner);
		goto fail;
	}
	*out = in;
	return 0;
fail:
	archive_read_free(in->a);
	free(in);
	return -EINVAL;
}

/* Refill the current block; 0, or -1 at the end of the entry, -2 on error. */
static int next_block(struct snap_input *in)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int rc;

	do {
		rc = archive_read_data_block(in->a, &buf, &len, &off);
	} while (rc == ARCHIVE_OK && len == 0);
	if (rc == ARCHIVE_EOF) {
		struct archive_entry *ent;
		int nf = archive_filter_count(in->a) - 1;
		la_int64_t used = archive_filter_bytes(in->a, -1);

		in->eof = 1;
		/* A zip with a second member is ambiguous: refuse it. */
		if (archive_format(in->a) != ARCHIVE_FORMAT_RAW &&
		    archive_read_next_header(in->a, &ent) == ARCHIVE_OK) {
			snprintf(in->err, sizeof(in->err), "zip archive holds more than one file");
			return -2;
		}
		/* The decompressor stops at the end of its stream and ignores
		 * what follows: a damaged or tampered file. */
		if (archive_format(in->a) == ARCHIVE_FORMAT_RAW && nf >= 1 && in->size &&
		    used >= 0 && (uint64_t)used < in->size) {
			snprintf(in->err, sizeof(in->err), "%llu bytes of trailing data after the %s stream",
				 (unsigned long long)(in->size - (uint64_t)used), archive_filter_name(in->a, nf - 1));
			return -2;
		}
		return -1;
	}
	if (rc != ARCHIVE_OK) {
		snprintf(in->err, sizeof(in->err), "read error: %s",
			 archive_error_string(in->a) ? archive_error_string(in->a) : "unknown");
		return -2;
	}
	in->blk = buf;
	in->blk_len = len;
	in->blk_off = 0;
	in->total += len;
	if (in->max && in->total > in->max)
		return over_limit(in);
	return 0;
}

static int acc_append(struct snap_input *in, const char *p, size_t n)
{
	if (in->acc_len + n > LINE_MAX_LEN) {
		snprintf(in->err, sizeof(in->err), "line longer than %d bytes", LINE_MAX_LEN);
		return -2;
	}
	if (in->acc_len + n > in->acc_cap) {
		size_t cap = in->acc_cap ? in->acc_cap * 2 : 4096;
		while (cap < in->acc_len + n)
			cap *= 2;
		char *nb = realloc(in->acc, cap);
		if (!nb) {
			snprintf(in->err, sizeof(in->err), "out of memory");
			return -2;
		}
		in->acc = nb, in->acc_cap = cap;
	}
	memcpy(in->acc + in->acc_len, p, n);
	in->acc_len += n;
	return 0;
}

ssize_t snap_input_line(struct snap_input *in, const char **line)
{
	if (in->max && in->total > in->max)
		return over_limit(in);
	in->acc_len = 0;
	for (;;) {
		if (in->blk_off >= in->blk_len) {
			if (in->eof)
				goto end;
			int rc = next_block(in);
			if (rc == -1)
				goto end;
			if (rc < 0)
				return rc;
		}
		const char *p = in->blk + in->blk_off;
		size_t avail = in->blk_len - in->blk_off;
		const char *nl = memchr(p, '\n', avail);
		if (nl) {
			size_t n = (size_t)(nl - p);
			in->blk_off += n + 1;
			if (!in->acc_len) {
				if (n > LINE_MAX_LEN) {
					snprintf(in->err, sizeof(in->err), "line longer than %d bytes", LINE_MAX_LEN);
					return -2;
				}
				*line = p;	/* whole line inside the block: no copy */
				return (ssize_t)n;
			}
			if (acc_append(in, p, n))
				return -2;
			*line = in->acc;
			return (ssize_t)in->acc_len;
		}
		if (acc_append(in, p, avail))
			return -2;
		in->blk_off = in->blk_len;
	}
end:
	if (!in->acc_len)
		return -1;
	*line = in->acc;	/* last line without a newline */
	return (ssize_t)in->acc_len;
}

const char *snap_input_error(const struct snap_input *in)
{
	return in->err;
}

int snap_input_open(struct snap_input **in, const char *path, char *errbuf, size_t errsz)
{
	return input_open(in, path, NULL, 0, errbuf, errsz);
}

int snap_input_open_memory(struct snap_input **in, const void *data, size_t len,
			   char *errbuf, size_t errsz)
{
	return input_open(in, "memory", data ? data : "", len, errbuf, errsz);
}

void snap_input_limit(struct snap_input *in, uint64_t max_bytes)
{
	in->max = max_bytes;
}

uint64_t snap_input_pos(const struct snap_input *in)
{
	la_int64_t n = archive_filter_bytes(in->a, -1);
	return n > 0 ? (uint64_t)n : 0;
}

uint64_t snap_input_size(const struct snap_input *in)
{
	return in->size;
}

void snap_input_close(struct snap_input *in)
{
	if (!in)
		return;
	archive_read_free(in->a);
	free(in->acc);
	free(in);
}
