/* Exports of the observation store (docs/observed.md): our own CSV, the
 * DIRBS operator data dump, and the first sightings that eir-sync
 * imports; the window's times and time zone; the atomic output file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "observed.h"

enum obs_export_format {
	OBS_EXPORT_CSV,
	OBS_EXPORT_DIRBS,
	OBS_EXPORT_FIRST_SEEN,
};

/* "csv", "dirbs", "first-seen": 0 and *f, or -EINVAL. */
int obs_export_format_parse(const char *name, enum obs_export_format *f);

struct obs_export_opts {
	enum obs_export_format format;
	uint32_t since, until;		/* unix seconds, both inclusive */
	int32_t tz;			/* seconds east of UTC: the days of a DIRBS dump */
};

struct obs_export_counts {
	uint64_t rows;			/* data rows written */
	uint64_t pairs;			/* pairs (csv, dirbs) or IMEIs (first-seen) in the window */
	/* DIRBS only: pairs that gave no row, and why. */
	uint64_t spanning;		/* seen before and after the window, not known in it */
	uint64_t imsi_less;		/* no IMSI, and the IMEI has rows with one */
	uint64_t bad_date;		/* a day outside 2000-2099, which DIRBS refuses */
	/* DIRBS only: rows with an empty column (DIRBS's null thresholds). */
	uint64_t null_imsi, null_msisdn, null_rat;
	/* first-seen only: IMEIs not written because eir-sync would refuse
	 * the file for them: a first sighting at the epoch, or more than a day
	 * ahead of this clock. */
	uint64_t bad_time;
};

/* Write the pairs (or IMEIs) of db in the window to out in the format.
 * 0, or a negative errno (-EIO when out fails). */
int obs_export(struct eir_obs_db *db, const struct obs_export_opts *o, FILE *out,
	       struct obs_export_counts *c);

/* A window bound: "YYYY-MM-DD" (a whole day at offset tz: its first
 * second, or its last when end_of_day) or "YYYY-MM-DDTHH:MM:SSZ" (UTC,
 * that second). 0, or -EINVAL (also beyond 2106, the stored times' end). */
int obs_time_parse(const char *s, int32_t tz, bool end_of_day, uint32_t *out);

/* "YYYYMMDD" of t at offset tz, into buf (9 octets). */
void obs_day_format(uint32_t t, int32_t tz, char buf[9]);

/* Whether path's name is a DIRBS operator dump's for the window,
 * <operator>_<YYYYMMDD>_<YYYYMMDD>.zip with the window's first and last
 * day (DIRBS reads the days; the operator part is free, not empty): 0, or
 * -EINVAL with the reason in why. */
int obs_dirbs_name_check(const char *path, const struct obs_export_opts *o, char *why, size_t whysz);

/* An output file written atomically: a temporary file beside path,
 * fsynced and renamed over it at commit; path NULL or "-": stdout. */
struct obs_output {
	FILE *f;			/* where to write */
	char *path, *tmp;
	bool zip;			/* path ends in .zip: f is the CSV to put in it */
	int zip_fd;
};

int obs_output_open(struct obs_output *out, const char *path, char *err, size_t errsz);
/* Finish: for a zip, write the archive with one entry, the CSV named as
 * the zip with .csv for .zip; then fsync and rename. 0, or a negative
 * errno with err filled (nothing left behind). */
int obs_output_commit(struct obs_output *out, char *err, size_t errsz);
/* Drop everything: the temporary files go, path stays as it was. */
void obs_output_abort(struct obs_output *out);
