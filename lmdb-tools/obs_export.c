/* Exports of the observation store (obs_export.h, docs/observed.md): the
 * rows of each format, the window's times, and the atomic output file
 * (a zip with one CSV inside for a DIRBS operator dump). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "imei.h"
#include "obs_export.h"
#include "policy.h"
#include "record.h"
#include "timefmt.h"

#define DAY 86400

int obs_export_format_parse(const char *name, enum obs_export_format *f)
{
	if (!strcmp(name, "csv"))
		*f = OBS_EXPORT_CSV;
	else if (!strcmp(name, "dirbs"))
		*f = OBS_EXPORT_DIRBS;
	else if (!strcmp(name, "first-seen"))
		*f = OBS_EXPORT_FIRST_SEEN;
	else
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ times */

int obs_time_parse(const char *s, int32_t tz, bool end_of_day, uint32_t *out)
{
	size_t len = strlen(s);
	uint64_t t;
	int64_t v;

	if ((len != 10 && len != 20) || eir_time_parse(s, len, &t))
		return -EINVAL;
	v = (int64_t)t;
	if (len == 10)
		v = v - tz + (end_of_day ? DAY - 1 : 0);
	if (v < 0)
		v = 0;
	if (v > (int64_t)UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

void obs_day_format(uint32_t t, int32_t tz, char buf[9])
{
	time_t lt = (time_t)t + tz;
	struct tm tm;

	gmtime_r(&lt, &tm);
	snprintf(buf, 9, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday);
}

/* Always the full form, midnight too: YYYY-MM-DDTHH:MM:SSZ. */
static const char *iso_time(uint32_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* ------------------------------------------------------------------- rows */

static const char *iface_name(uint8_t i)
{
	static const char *const names[EIR_OBS_IF_COUNT] = { "", "s13", "map", "n5g" };

	return i < EIR_OBS_IF_COUNT ? names[i] : "";
}

/* The radio access our interface implies, in our CSV. */
static const char *iface_rat(uint8_t i)
{
	static const char *const rats[EIR_OBS_IF_COUNT] = { "", "eutran", "geran-utran", "nr" };

	return i < EIR_OBS_IF_COUNT ? rats[i] : "";
}

/* The DIRBS RAT code (radio_access_technology_map): S13 answers the MME,
 * E-UTRAN 006; MAP cannot tell GERAN from UTRAN, and GERAN 002 is the one
 * nearly every handset supports, so that DIRBS's inconsistent-RAT check
 * is not set off by a guess; DIRBS has no NR code, and every NR handset
 * does E-UTRAN: 006 (docs/observed.md). */
static const char *iface_dirbs_rat(uint8_t i)
{
	static const char *const codes[EIR_OBS_IF_COUNT] = { "", "006", "002", "006" };

	return i < EIR_OBS_IF_COUNT ? codes[i] : "";
}

static void digits_or_empty(uint64_t packed, char out[16])
{
	if (packed)
		eir_imsi_format(packed, out);
	else
		out[0] = '\0';
}

struct export_ctx {
	FILE *out;
	const struct obs_export_opts *o;
	struct obs_export_counts *c;
	uint32_t now;
	/* DIRBS: the IMEI under way, whether a row with an IMSI came of it,
	 * and its IMSI-less pair (IMSI 0 sorts first), held back until then. */
	uint64_t imei;
	bool imei_rows;
	bool pending;
	struct eir_obs held;
};

static int csv_pair(void *ctx, const struct eir_obs *p)
{
	struct export_ctx *x = ctx;
	char imei[EIR_IMEI_DIGITS + 1], imsi[16], msisdn[16], first[32], last[32];

	eir_imei_format(p->imei, imei);
	digits_or_empty(p->imsi, imsi);
	digits_or_empty(p->msisdn, msisdn);
	x->c->pairs++;
	x->c->rows++;
	if (fprintf(x->out, "%s,%s,%s,%s,%s,%u,%s,%s,%s,%s,%s\n", imei, imsi, msisdn,
		    iso_time(p->first_seen, first), iso_time(p->last_seen, last), p->count,
		    iface_name(p->iface), iface_rat(p->iface), eir_verdict_name(p->verdict),
		    eir_verdict_name(p->would), eir_branch_name(p->branch)) < 0)
		return -EIO;
	return 0;
}

/* A pair's DIRBS rows: the days of its first and last sighting that lie
 * in the window (one row when they are the same day). The number of rows
 * written, or -EIO. */
static int dirbs_rows(struct export_ctx *x, const struct eir_obs *p)
{
	const struct obs_export_opts *o = x->o;
	bool in_first = p->first_seen >= o->since && p->first_seen <= o->until;
	bool in_last = p->last_seen >= o->since && p->last_seen <= o->until;
	char days[2][9], imei[EIR_IMEI_DIGITS + 1], imsi[16], msisdn[16];
	const char *rat = iface_dirbs_rat(p->iface);
	int n = 0, rows = 0;

	if (!in_first && !in_last) {
		x->c->spanning++;
		return 0;
	}
	if (in_first)
		obs_day_format(p->first_seen, o->tz, days[n++]);
	if (in_last) {
		obs_day_format(p->last_seen, o->tz, days[n]);
		if (!n || strcmp(days[0], days[n]))
			n++;
	}
	eir_imei_format(p->imei, imei);
	digits_or_empty(p->imsi, imsi);
	digits_or_empty(p->msisdn, msisdn);
	for (int i = 0; i < n; i++) {
		/* DIRBS's date column takes 2000-01-01 to 2099-12-31 only. */
		if (days[i][0] != '2' || days[i][1] != '0') {
			x->c->bad_date++;
			continue;
		}
		if (fprintf(x->out, "%s,%s,%s,%s,%s\n", days[i], imei, imsi, msisdn, rat) < 0)
			return -EIO;
		x->c->rows++;
		x->c->null_imsi += !imsi[0];
		x->c->null_msisdn += !msisdn[0];
		x->c->null_rat += !rat[0];
		rows++;
	}
	return rows;
}

/* The IMEI under way is done: its IMSI-less pair is written only when no
 * row with an IMSI said already that the IMEI was on the network. */
static int dirbs_imei_done(struct export_ctx *x)
{
	int rc = 0;

	if (x->pending) {
		if (x->imei_rows)
			x->c->imsi_less++;
		else
			rc = dirbs_rows(x, &x->held);
	}
	x->pending = false;
	x->imei_rows = false;
	return rc < 0 ? rc : 0;
}

static int dirbs_pair(void *ctx, const struct eir_obs *p)
{
	struct export_ctx *x = ctx;
	int rc;

	x->c->pairs++;
	if (p->imei != x->imei) {
		rc = dirbs_imei_done(x);
		if (rc)
			return rc;
		x->imei = p->imei;
	}
	if (!p->imsi) {
		x->held = *p;
		x->pending = true;
		return 0;
	}
	rc = dirbs_rows(x, p);
	if (rc < 0)
		return rc;
	if (rc > 0)
		x->imei_rows = true;
	return 0;
}

static int first_seen_imei(void *ctx, const struct eir_obs_imei *i)
{
	struct export_ctx *x = ctx;
	char imei[EIR_IMEI_DIGITS + 1], first[32];

	x->c->pairs++;
	/* The importer refuses the whole file for one such row
	 * (docs/snapshot-format.md): leave the IMEI out instead. */
	if (!i->first_seen || (uint64_t)i->first_seen > (uint64_t)x->now + DAY) {
		x->c->bad_time++;
		return 0;
	}
	eir_imei_format(i->imei, imei);
	x->c->rows++;
	return fprintf(x->out, "%s,%s\n", imei, iso_time(i->first_seen, first)) < 0 ? -EIO : 0;
}

int obs_export(struct eir_obs_db *db, const struct obs_export_opts *o, FILE *out,
	       struct obs_export_counts *c)
{
	struct export_ctx x = { .out = out, .o = o, .c = c, .now = (uint32_t)time(NULL) };
	int rc;

	memset(c, 0, sizeof(*c));
	switch (o->format) {
	case OBS_EXPORT_CSV:
		if (fputs("imei,imsi,msisdn,first_seen,last_seen,count,interface,rat,verdict,would,branch\n", out) < 0)
			return -EIO;
		rc = eir_obs_walk_pairs(db, o->since, o->until, csv_pair, &x);
		break;
	case OBS_EXPORT_DIRBS:
		if (fputs("date,imei,imsi,msisdn,rat\n", out) < 0)
			return -EIO;
		rc = eir_obs_walk_pairs(db, o->since, o->until, dirbs_pair, &x);
		if (!rc)
			rc = dirbs_imei_done(&x);
		break;
	case OBS_EXPORT_FIRST_SEEN:
		if (fputs("imei,first_seen\n", out) < 0)
			return -EIO;
		rc = eir_obs_walk_imeis(db, o->since, o->until, first_seen_imei, &x);
		/* The trailer of the native snapshot format: a cut file is refused. */
		if (!rc && fprintf(out, "# end rows=%llu\n", (unsigned long long)c->rows) < 0)
			rc = -EIO;
		break;
	default:
		return -EINVAL;
	}
	if (!rc && ferror(out))
		rc = -EIO;
	return rc;
}

/* ------------------------------------------------------------ DIRBS names */

int obs_dirbs_name_check(const char *path, const struct obs_export_opts *o, char *why, size_t whysz)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);
	char first[9], last[9];

	obs_day_format(o->since, o->tz, first);
	obs_day_format(o->until, o->tz, last);
	/* <operator>_<YYYYMMDD>_<YYYYMMDD>.zip: 2 x 9 + 4 after the operator. */
	if (len < 1 + 9 + 9 + 4 || strcmp(base + len - 4, ".zip") || base[len - 22] != '_' ||
	    base[len - 13] != '_' || strspn(base + len - 21, "0123456789") != 8 ||
	    strspn(base + len - 12, "0123456789") != 8) {
		snprintf(why, whysz, "'%s' is not named <operator>_<YYYYMMDD>_<YYYYMMDD>.zip"
			 " (for this window: <operator>_%s_%s.zip)", base, first, last);
		return -EINVAL;
	}
	if (memcmp(base + len - 21, first, 8) || memcmp(base + len - 12, last, 8)) {
		snprintf(why, whysz, "'%s' names the days %.8s to %.8s, the window is %s to %s:"
			 " the name carries the window's first and last day (%.*s_%s_%s.zip)",
			 base, base + len - 21, base + len - 12, first, last, (int)(len - 22), base,
			 first, last);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ output */

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* mkstemp beside path: .<name>.XXXXXX, with the mode a new file gets. */
static int temp_beside(const char *path, const char *tag, char **tmp)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0, fd;
	mode_t mask = umask(0);

	umask(mask);
	if (asprintf(tmp, "%.*s.%s%s.XXXXXX", dirlen, path, slash ? slash + 1 : path, tag) < 0) {
		*tmp = NULL;
		return -ENOMEM;
	}
	fd = mkstemp(*tmp);
	if (fd < 0) {
		int rc = -errno;
		free(*tmp);
		*tmp = NULL;
		return rc;
	}
	fchmod(fd, 0666 & ~mask);
	return fd;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

int obs_output_open(struct obs_output *out, const char *path, char *err, size_t errsz)
{
	int fd;

	memset(out, 0, sizeof(*out));
	out->zip_fd = -1;
	if (!path || !strcmp(path, "-")) {
		out->f = stdout;
		return 0;
	}
	out->path = strdup(path);
	if (!out->path)
		return -ENOMEM;
	fd = temp_beside(path, "", &out->tmp);
	if (fd < 0) {
		snprintf(err, errsz, "%s: cannot create a temporary file beside it: %s", path, strerror(-fd));
		free(out->path);
		out->path = NULL;
		return fd;
	}
	out->zip = ends_with(path, ".zip");
	if (out->zip) {
		/* The CSV goes to a nameless file first: its size heads the entry. */
		char *csv;
		int cfd = temp_beside(path, ".csv", &csv);

		if (cfd >= 0) {
			unlink(csv);
			free(csv);
		}
		out->zip_fd = fd;
		fd = cfd;
		if (fd < 0) {
			snprintf(err, errsz, "%s: cannot create a temporary file beside it: %s",
				 path, strerror(-fd));
			obs_output_abort(out);
			return fd;
		}
	}
	out->f = fdopen(fd, out->zip ? "w+" : "w");
	if (!out->f) {
		int rc = -errno;
		close(fd);
		obs_output_abort(out);
		return rc;
	}
	return 0;
}

/* The archive: one entry, the CSV, deflated. */
static int write_zip(struct obs_output *out, char *err, size_t errsz)
{
	const char *base = strrchr(out->path, '/') ? strrchr(out->path, '/') + 1 : out->path;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char inner[NAME_MAX + 1], buf[1 << 16];
	struct stat st;
	size_t n;
	int rc = -EIO;

	snprintf(inner, sizeof(inner), "%.*s.csv", (int)(strlen(base) - 4), base);
	if (!a || !e)
		goto out;
	if (fstat(fileno(out->f), &st) < 0 || fseek(out->f, 0, SEEK_SET) < 0) {
		snprintf(err, errsz, "%s: %s", out->path, strerror(errno));
		goto out;
	}
	archive_entry_set_pathname(e, inner);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_zip_set_compression_deflate(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out->zip_fd) != ARCHIVE_OK ||
	    archive_write_header(a, e) != ARCHIVE_OK)
		goto fail;
	while ((n = fread(buf, 1, sizeof(buf), out->f)) > 0) {
		if (archive_write_data(a, buf, n) != (la_ssize_t)n)
			goto fail;
	}
	if (ferror(out->f)) {
		snprintf(err, errsz, "%s: reading back the CSV: %s", out->path, strerror(errno));
		goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errsz, "%s: writing the zip: %s", out->path,
		 archive_error_string(a) ? archive_error_string(a) : "failed");
out:
	if (e)
		archive_entry_free(e);
	if (a)
		archive_write_free(a);
	return rc;
}

int obs_output_commit(struct obs_output *out, char *err, size_t errsz)
{
	int rc = 0, fd;

	if (!out->path) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			snprintf(err, errsz, "writing standard output: %s", strerror(errno));
			return -EIO;
		}
		return 0;
	}
	if (fflush(out->f) != 0 || ferror(out->f)) {
		rc = -(errno ? errno : EIO);
		snprintf(err, errsz, "%s: %s", out->path, strerror(-rc));
		goto fail;
	}
	if (out->zip) {
		rc = write_zip(out, err, errsz);
		if (rc)
			goto fail;
		fd = out->zip_fd;
	} else {
		fd = fileno(out->f);
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		snprintf(err, errsz, "%s: fsync: %s", out->path, strerror(errno));
		goto fail;
	}
	if (rename(out->tmp, out->path) < 0) {
		rc = -errno;
		snprintf(err, errsz, "%s: cannot rename %s over it: %s", out->path, out->tmp, strerror(errno));
		goto fail;
	}
	free(out->tmp);
	out->tmp = NULL;
	rc = fsync_dir_of(out->path);
	if (rc)
		snprintf(err, errsz, "%s: fsync of its directory: %s", out->path, strerror(-rc));
fail:
	obs_output_abort(out);
	return rc;
}

void obs_output_abort(struct obs_output *out)
{
	if (out->f && out->f != stdout)
		fclose(out->f);
	out->f = NULL;
	if (out->zip_fd >= 0)
		close(out->zip_fd);
	out->zip_fd = -1;
	if (out->tmp)
		unlink(out->tmp);
	free(out->tmp);
	free(out->path);
	out->tmp = out->path = NULL;
}
