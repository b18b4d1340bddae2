/* Snapshot input (input.h): libarchive does the decompression and the zip
 * container; this file only splits the stream into lines. */
#include <errno.h>
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
	int eof;
	char err[256];
};

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
	archive_read_support_filter_all(in->a);
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
		archive_read_free(in->a);
		free(in);
		return -EINVAL;
	}
	*out = in;
	return 0;
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
		in->eof = 1;
		/* A zip with a second member is ambiguous: refuse it. */
		if (archive_format(in->a) != ARCHIVE_FORMAT_RAW &&
		    archive_read_next_header(in->a, &ent) == ARCHIVE_OK) {
			snprintf(in->err, sizeof(in->err), "zip archive holds more than one file");
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
