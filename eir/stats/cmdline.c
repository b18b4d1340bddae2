/* Command lines of the stats socket (cmdline.h). */
#include <ctype.h>
#include <string.h>

#include "cmdline.h"

enum stats_cmd stats_cmd_parse(const char *line)
{
	static const char *const names[] = {
		[STATS_CMD_STATS] = "stats", [STATS_CMD_PROMETHEUS] = "prometheus", [STATS_CMD_JSON] = "json",
		[STATS_CMD_RESET] = "reset", [STATS_CMD_HELP] = "help",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(line, names[i]))
			return (enum stats_cmd)i;
	}
	return STATS_CMD_UNKNOWN;
}

/* One line in buf[0..len) without its newline. */
static int line(struct stats_lines *l, size_t len, stats_line_fn fn, void *ctx)
{
	char *s = l->buf, *e = l->buf + len;

	/* A NUL byte makes no command: it shows as '?' in the error. */
	for (char *q = s; q < e; q++)
		if (!*q)
			*q = '?';
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s == e)
		return 0;
	*e = '\0';
	return fn(ctx, stats_cmd_parse(s), s);
}

int stats_lines_feed(struct stats_lines *l, const char *p, size_t n, stats_line_fn fn, void *ctx)
{
	int rc;

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (l->discarding) {
			if (nl)
				l->discarding = false;
		} else if (l->len + take >= sizeof(l->buf)) {
			/* Over-long: refused once, and the rest of it (up
			 * to its newline) is not a command. */
			l->len = 0;
			l->discarding = !nl;
			if ((rc = fn(ctx, STATS_CMD_TOO_LONG, NULL)) < 0)
				return rc;
		} else {
			memcpy(l->buf + l->len, p, take);
			l->len += take;
			if (nl) {
				size_t len = l->len;
				l->len = 0;
				if ((rc = line(l, len, fn, ctx)) < 0)
					return rc;
			}
		}
		if (!nl)
			break;
		p += take + 1;
		n -= take + 1;
	}
	return 0;
}

int stats_lines_eof(struct stats_lines *l, stats_line_fn fn, void *ctx)
{
	size_t len = l->len;

	l->len = 0;
	if (l->discarding || !len)
		return 0;
	return line(l, len, fn, ctx);
}
