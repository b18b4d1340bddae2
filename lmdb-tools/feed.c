/* Registry feeds (feed.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "feed.h"

int feed_parse_index(const char *text, struct feed_entry **entries, char *msg, size_t msgsz)
{
	struct feed_entry *e = NULL;
	size_t n = 0, cap = 0;
	int lineno = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char line[512], kind[16], name[256], extra[8];
		unsigned long long seq, base;
		int k;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(msg, msgsz, "index:%d: line too long", lineno);
			goto bad;
		}
		memcpy(line, text, len);
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		text += len + (nl ? 1 : 0);
		line[strcspn(line, "#")] = '\0';
		if (sscanf(line, "%15s", kind) != 1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct feed_entry *ne = realloc(e, cap * sizeof(*e));
			if (!ne) {
				snprintf(msg, msgsz, "index: out of memory");
				goto bad;
			}
			e = ne;
		}
		memset(&e[n], 0, sizeof(e[n]));
		if (!strcmp(kind, "full")) {
			k = sscanf(line, "%15s %llu %255s %7s", kind, &seq, name, extra);
			if (k != 3)
				goto syntax;
			e[n].seq = seq;
		} else if (!strcmp(kind, "delta")) {
			k = sscanf(line, "%15s %llu %llu %255s %7s", kind, &seq, &base, name, extra);
			if (k != 4 || base >= seq)
				goto syntax;
			e[n].delta = true, e[n].seq = seq, e[n].base = base;
		} else {
			goto syntax;
		}
		if (strstr(name, "..") || name[0] == '/') {
			snprintf(msg, msgsz, "index:%d: file name '%s' leaves the feed", lineno, name);
			goto bad;
		}
		snprintf(e[n].name, sizeof(e[n].name), "%s", name);
		n++;
		continue;
syntax:
		snprintf(msg, msgsz, "index:%d: expected 'full SEQ FILE' or 'delta SEQ BASE FILE' (base below seq)",
			 lineno);
		goto bad;
	}
	*entries = e;
	return (int)n;
bad:
	free(e);
	return -1;
}

/* Follow deltas from seq; returns the seq reached, plan extended. */
static uint64_t chain(const struct feed_entry *e, size_t n, uint64_t seq, size_t *plan, size_t *np)
{
	for (;;) {
		size_t best = n;
		for (size_t i = 0; i < n; i++) {
			if (e[i].delta && e[i].base == seq && (best == n || e[i].seq > e[best].seq))
				best = i;
		}
		if (best == n)
			return seq;
		plan[(*np)++] = best;
		seq = e[best].seq;
		if (*np >= n)	/* a cycle cannot exist (base < seq), but stay bounded */
			return seq;
	}
}

size_t feed_plan(const struct feed_entry *e, size_t n, bool have_db, uint64_t cur_seq, size_t *plan)
{
	size_t *alt = calloc(n + 1, sizeof(*alt)), na = 0, np = 0, full = n;
	uint64_t end_a = cur_seq, end_b = 0;

	if (!alt)
		return 0;
	if (have_db)
		end_a = chain(e, n, cur_seq, plan, &np);
	for (size_t i = 0; i < n; i++) {
		if (!e[i].delta && (full == n || e[i].seq > e[full].seq))
			full = i;
	}
	if (full < n) {
		alt[na++] = full;
		end_b = chain(e, n, e[full].seq, alt, &na);
	}
	/* The newest full and its chain win when the deltas from where we are
	 * do not reach as far (a broken chain), or when there is no database. */
	if (full < n && (!have_db || end_b > end_a)) {
		memcpy(plan, alt, na * sizeof(*plan));
		np = na;
	}
	free(alt);
	return np;
}

int feed_resolve(const char *feed, char *out, size_t outsz, char *msg, size_t msgsz)
{
	size_t n = 0;

	while (isalnum((unsigned char)feed[n]) || feed[n] == '+' || feed[n] == '-' || feed[n] == '.')
		n++;
	if (!n || !isalpha((unsigned char)feed[0]) || strncmp(feed + n, "://", 3)) {
		snprintf(out, outsz, "%s", feed);	/* a directory */
		return FEED_DIR;
	}
	if ((n == 4 && !strncasecmp(feed, "http", 4)) || (n == 5 && !strncasecmp(feed, "https", 5))) {
		snprintf(out, outsz, "%s", feed);
		return FEED_HTTP;
	}
	if (n == 4 && !strncasecmp(feed, "file", 4)) {
		const char *path = feed + 7;

		if (!strncasecmp(path, "localhost/", 10))
			path += 9;
		if (path[0] == '/') {
			snprintf(out, outsz, "%s", path);
			return FEED_DIR;
		}
		snprintf(msg, msgsz, "%s: a file URL names a local directory: file:///path", feed);
		return -1;
	}
	snprintf(msg, msgsz, "%s: unsupported scheme '%.*s': a feed is a directory, a file:/// URL or an "
		 "http:// or https:// URL", feed, (int)n, feed);
	return -1;
}

static bool is_http(const char *feed)
{
	return !strncasecmp(feed, "http://", 7) || !strncasecmp(feed, "https://", 8);
}

struct download {
	FILE *f;
	uint64_t bytes, max;	/* max 0: no limit */
};

static size_t write_file(void *p, size_t size, size_t nmemb, void *data)
{
	struct download *d = data;

	d->bytes += (uint64_t)size * nmemb;
	if (d->max && d->bytes > d->max)
		return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
	return fwrite(p, size, nmemb, d->f);
}

int feed_fetch(const char *feed, const char *name, const char *tmpdir, uint64_t max_bytes, char *path,
	       size_t pathsz, char *msg, size_t msgsz)
{
	struct download d = { .max = max_bytes };
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	CURL *curl;
	CURLcode cc;
	FILE *f;
	long code = 0;

	if (!is_http(feed)) {
		struct stat st;

		int err;

		snprintf(path, pathsz, "%s/%s", feed, name);
		if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
			return 0;
		err = stat(path, &st) < 0 ? errno : EISDIR;
		if (stat(feed, &st) < 0)
			snprintf(msg, msgsz, "%s: feed directory: %s", feed, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			snprintf(msg, msgsz, "%s: feed directory: %s", feed, strerror(ENOTDIR));
		else
			snprintf(msg, msgsz, "%s: %s", path, strerror(err));
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s%s", feed, feed[strlen(feed) - 1] == '/' ? "" : "/", name);
	snprintf(path, pathsz, "%s/%s", tmpdir, strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
	f = fopen(path, "wb");
	if (!f) {
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	curl = curl_easy_init();
	if (!curl) {
		fclose(f);
		snprintf(msg, msgsz, "cannot initialise libcurl");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_file);
	d.f = f;
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &d);
	if (max_bytes)
		curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "eir-sync/" EIR_VERSION);
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	if (fclose(f) != 0 && cc == CURLE_OK) {
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((cc == CURLE_WRITE_ERROR && d.max && d.bytes > d.max) || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(msg, msgsz, "%s: larger than %llu bytes (--max-bytes): refused", url,
			 (unsigned long long)max_bytes);
		remove(path);
		return -1;
	}
	if (cc != CURLE_OK) {
		snprintf(msg, msgsz, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		remove(path);
		return -1;
	}
	return 0;
}
