/* libFuzzer harness: any bytes (up to a NUL) as an SMS template. A
 * template that template_check accepts must render, to the text a
 * simple reference renderer makes of it, in UTF-8, and must give -ENOSPC
 * (never more octets than outlen) when the buffer is one short or
 * smaller; a refused one must be -EINVAL from template_render too, with
 * the reason in err. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 Farvardin 1404, 2025-03-21; a Persian reason ("ثبت نشده"). */
static const struct template_fields fields = {
	.imei = "356938035643809",
	.cutoff_day = 20168,
	.days = 30,
	.reason = "\xd8\xab\xd8\xa8\xd8\xaa \xd9\x86\xd8\xb4\xd8\xaf\xd9\x87",
};

static const struct {
	const char *name, *value;
} values[] = {
	{ "imei", "356938035643809" },
	{ "date", "2025-03-21" },
	{ "date_hijri", "\xdb\xb1\xdb\xb4\xdb\xb0\xdb\xb4/\xdb\xb0\xdb\xb1/\xdb\xb0\xdb\xb1" },
	{ "date_hijri_latin", "1404/01/01" },
	{ "days", "30" },
	{ "days_fa", "\xdb\xb3\xdb\xb0" },
	{ "reason", "\xd8\xab\xd8\xa8\xd8\xaa \xd9\x86\xd8\xb4\xd8\xaf\xd9\x87" },
};

/* The reference: the text, or NULL for a template to refuse. Every
 * field expands to at most 2.5 times its name in braces, so 3 * len + 1
 * octets hold the text. */
static char *reference(const char *tpl, size_t len, size_t *outlen)
{
	char *out = malloc(3 * len + 1);
	size_t o = 0;
	struct sms_text t;

	if (sms_text_from_utf8(tpl, len, &t)) {
		free(out);
		return NULL;
	}
	sms_text_free(&t);
	for (size_t i = 0; i < len;) {
		if ((tpl[i] == '{' || tpl[i] == '}') && i + 1 < len && tpl[i + 1] == tpl[i]) {
			out[o++] = tpl[i];
			i += 2;
		} else if (tpl[i] == '{') {
			const char *close = memchr(tpl + i + 1, '}', len - i - 1);
			size_t k, n = close ? (size_t)(close - tpl) - i - 1 : 0;

			if (!close || memchr(tpl + i + 1, '{', n))
				goto refuse;
			for (k = 0; k < sizeof(values) / sizeof(values[0]); k++)
				if (strlen(values[k].name) == n && !memcmp(values[k].name, tpl + i + 1, n))
					break;
			if (k == sizeof(values) / sizeof(values[0]))
				goto refuse;
			memcpy(out + o, values[k].value, strlen(values[k].value));
			o += strlen(values[k].value);
			i += n + 2;
		} else if (tpl[i] == '}') {
			goto refuse;
		} else {
			out[o++] = tpl[i++];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
refuse:
	free(out);
	return NULL;
}

#define GUARD 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size), want_len = 0, cap = 3 * len + 1;
	char *tpl = malloc(len + 1), *out = malloc(cap + GUARD), *want, err[64];
	int rc, n;

	memcpy(tpl, data, len);
	tpl[len] = '\0';
	want = reference(tpl, len, &want_len);
	memset(err, 'x', sizeof(err));
	rc = template_check(tpl, err, sizeof(err));
	assert(rc == 0 || rc == -EINVAL);
	assert(memchr(err, '\0', sizeof(err)));
	if (rc) {
		assert(!want);
		assert(err[0]);
		assert(template_render(tpl, &fields, out, cap) == -EINVAL);
		assert(out[0] == '\0');
		goto out;
	}
	assert(want);
	assert(err[0] == '\0');
	n = template_render(tpl, &fields, out, cap);
	assert(n >= 0 && (size_t)n == want_len);
	assert(!memcmp(out, want, want_len + 1));
	/* the exact room, one short, and a small buffer */
	for (size_t room = want_len + 1, k = 0; k < 3; k++) {
		memset(out, '#', cap + GUARD);
		n = template_render(tpl, &fields, out, room);
		if (room > want_len) {
			assert((size_t)n == want_len);
			assert(!memcmp(out, want, want_len + 1));
		} else {
			assert(n == -ENOSPC);
			assert(room == 0 || out[0] == '\0');
		}
		for (size_t i = room; i < cap + GUARD; i++)
			assert(out[i] == '#');
		room = k == 0 ? want_len : size % (want_len + 1);
	}
out:
	free(want);
	free(out);
	free(tpl);
	return 0;
}
