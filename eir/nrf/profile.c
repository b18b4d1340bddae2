/* libnrf: the JSON eird exchanges with an NRF (TS 29.510), built and read
 * with jansson, and the NF instance id. docs/protocols.md §5.5 lists the
 * facts relied on here. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>

#include "profile.h"

static void set_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- addresses */

/* An IP literal, normalised (an IPv4-mapped IPv6 address as IPv4: a
 * consumer reaches it over IPv4); its family, or 0 when s is not one.
 * *unspec: the wildcard address a server binds to, not one to reach. */
static int ip_literal(const char *s, char *buf, size_t sz, bool *unspec)
{
	struct in6_addr a6;
	struct in_addr a4;

	*unspec = false;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		*unspec = a4.s_addr == htonl(INADDR_ANY);
		return inet_ntop(AF_INET, &a4, buf, (socklen_t)sz) ? AF_INET : 0;
	}
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, a6.s6_addr + 12, 4);
		*unspec = a4.s_addr == htonl(INADDR_ANY);
		return inet_ntop(AF_INET, &a4, buf, (socklen_t)sz) ? AF_INET : 0;
	}
	*unspec = IN6_IS_ADDR_UNSPECIFIED(&a6);
	return inet_ntop(AF_INET6, &a6, buf, (socklen_t)sz) ? AF_INET6 : 0;
}

int nrf_profile_address(const struct nrf_profile *p, char *buf, size_t sz, int *family,
			char *err, size_t errsz)
{
	bool unspec;
	int af;

	if (p->advertise) {
		af = ip_literal(p->advertise, buf, sz, &unspec);
		if (!af) {
			set_err(err, errsz, "advertise %s is not an IPv4 or IPv6 address", p->advertise);
			return -EINVAL;
		}
		if (unspec) {
			set_err(err, errsz, "advertise %s is the wildcard address, not one a consumer can reach",
				p->advertise);
			return -EINVAL;
		}
	} else {
		if (!p->addr || !p->addr[0]) {
			set_err(err, errsz, "no address to publish: configure advertise");
			return -EINVAL;
		}
		af = ip_literal(p->addr, buf, sz, &unspec);
		if (!af) {
			set_err(err, errsz, "the listen address %s is not an IP address: configure advertise",
				p->addr);
			return -EINVAL;
		}
		if (unspec) {
			/* Consumers connect to what the NRF tells them: a wildcard
			 * is no address of ours. */
			set_err(err, errsz, "the listen address %s is the wildcard address, which is not one to "
				"publish: configure advertise", p->addr);
			return -EINVAL;
		}
	}
	*family = af;
	return 0;
}

/* ------------------------------------------------------------- profile */

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A host name as DNS has them: letters, digits, hyphens and dots. */
static bool fqdn_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* jansson takes only UTF-8 strings. */
static bool utf8(const char *s)
{
	json_t *t = json_string(s);
	bool ok = t != NULL;

	json_decref(t);
	return ok;
}

/* json_object_set_new() that remembers a failure, so that building reads
 * as a list of fields and is checked once. */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(o, key, v))
		*ok = false;
}

static void append(json_t *a, json_t *v, bool *ok)
{
	if (!v || json_array_append_new(a, v))
		*ok = false;
}

/* The one NFService (TS 29.510 6.1.6.2.3) of the profile. */
static json_t *service(const struct nrf_profile *p, const char *sid, const char *ip, int af, bool *ok)
{
	json_t *s = json_object(), *versions = json_array(), *v = json_object();
	json_t *eps = json_array(), *ep = json_object(), *types = json_array();

	if (!s || !versions || !v || !eps || !ep || !types) {
		json_decref(s), json_decref(versions), json_decref(v);
		json_decref(eps), json_decref(ep), json_decref(types);
		*ok = false;
		return NULL;
	}
	put(s, "serviceInstanceId", json_string(sid), ok);
	put(s, "serviceName", json_string(NRF_SERVICE_NAME), ok);
	put(v, "apiVersionInUri", json_string(NRF_SERVICE_API_VERSION), ok);
	put(v, "apiFullVersion", json_string(NRF_SERVICE_FULL_VERSION), ok);
	append(versions, v, ok);
	put(s, "versions", versions, ok);
	put(s, "scheme", json_string(p->scheme), ok);
	put(s, "nfServiceStatus", json_string("REGISTERED"), ok);
	if (p->fqdn)
		put(s, "fqdn", json_string(p->fqdn), ok);
	/* IpEndPoint (6.1.6.2.5): one address, never both families. */
	put(ep, af == AF_INET ? "ipv4Address" : "ipv6Address", json_string(ip), ok);
	put(ep, "transport", json_string("TCP"), ok);
	put(ep, "port", json_integer(p->port), ok);
	append(eps, ep, ok);
	put(s, "ipEndPoints", eps, ok);
	/* The AMF is the consumer of N5g-eir (TS 29.511). */
	append(types, json_string("AMF"), ok);
	put(s, "allowedNfTypes", types, ok);
	return s;
}

int nrf_profile_build(const struct nrf_profile *p, char **json, char *err, size_t errsz)
{
	const char *sid = p->service_instance_id ? p->service_instance_id : NRF_SERVICE_INSTANCE_ID;
	char ip[INET6_ADDRSTRLEN];
	json_t *root, *addrs, *svc, *list;
	bool ok = true;
	int af, rc;

	*json = NULL;
	if (!p->instance_id || !nrf_uuid_valid(p->instance_id)) {
		set_err(err, errsz, "nfInstanceId %s is not a UUID", p->instance_id ? p->instance_id : "(none)");
		return -EINVAL;
	}
	if (!p->scheme || (strcmp(p->scheme, "http") && strcmp(p->scheme, "https"))) {
		set_err(err, errsz, "scheme %s is neither http nor https", p->scheme ? p->scheme : "(none)");
		return -EINVAL;
	}
	if (!sid[0] || strlen(sid) > 255 || !utf8(sid)) {
		set_err(err, errsz, "serviceInstanceId must be 1 to 255 bytes of UTF-8");
		return -EINVAL;
	}
	if (p->port == 0) {
		set_err(err, errsz, "no port to publish");
		return -EINVAL;
	}
	if (p->fqdn && !fqdn_valid(p->fqdn)) {
		set_err(err, errsz, "fqdn %s is not a host name", p->fqdn);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_plmn; i++) {
		if (!digits(p->plmn[i].mcc, 3, 3) || !digits(p->plmn[i].mnc, 2, 3)) {
			set_err(err, errsz, "PLMN %s-%s: the MCC has 3 digits, the MNC 2 or 3",
				p->plmn[i].mcc ? p->plmn[i].mcc : "", p->plmn[i].mnc ? p->plmn[i].mnc : "");
			return -EINVAL;
		}
	}
	rc = nrf_profile_address(p, ip, sizeof(ip), &af, err, errsz);
	if (rc)
		return rc;

	root = json_object();
	if (!root)
		return -ENOMEM;
	put(root, "nfInstanceId", json_string(p->instance_id), &ok);
	put(root, "nfType", json_string("5G_EIR"), &ok);
	put(root, "nfStatus", json_string("REGISTERED"), &ok);
	if (p->heartbeat)
		put(root, "heartBeatTimer", json_integer(p->heartbeat), &ok);
	if (p->n_plmn) {
		json_t *plmns = json_array();
		for (size_t i = 0; plmns && i < p->n_plmn; i++) {
			json_t *id = json_object();
			if (id) {
				put(id, "mcc", json_string(p->plmn[i].mcc), &ok);
				put(id, "mnc", json_string(p->plmn[i].mnc), &ok);
			}
			append(plmns, id, &ok);
		}
		put(root, "plmnList", plmns, &ok);
	}
	if (p->fqdn)
		put(root, "fqdn", json_string(p->fqdn), &ok);
	addrs = json_array();
	append(addrs, json_string(ip), &ok);
	put(root, af == AF_INET ? "ipv4Addresses" : "ipv6Addresses", addrs, &ok);

	/* The service twice: nfServiceList, the map keyed by
	 * serviceInstanceId that Rel-16 and later NRFs read (and open5gs's
	 * NFs send), and nfServices, the deprecated array that Rel-15 NRFs
	 * know only. An NRF reading both finds the same service instance. */
	svc = service(p, sid, ip, af, &ok);
	list = json_object();
	if (svc && list && !json_object_set(list, sid, svc)) {
		put(root, "nfServiceList", list, &ok);
	} else {
		json_decref(list);
		ok = false;
	}
	addrs = json_array();
	if (svc && addrs && !json_array_append(addrs, svc)) {
		put(root, "nfServices", addrs, &ok);
	} else {
		json_decref(addrs);
		ok = false;
	}
	json_decref(svc);

	if (ok)
		*json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!*json) {
		set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------- answers */

static json_t *load_object(const char *body, size_t len)
{
	json_t *root;

	if (!body)
		return NULL;
	root = json_loadb(body, len, 0, NULL);
	if (root && !json_is_object(root)) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int nrf_answer_heartbeat(const char *body, size_t len, unsigned *hb)
{
	json_t *root = load_object(body, len), *v;
	int rc;

	if (!root)
		return -EBADMSG;
	v = json_object_get(root, "heartBeatTimer");
	if (!v) {
		rc = 0;
	} else if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		   json_integer_value(v) > NRF_HEARTBEAT_MAX) {
		rc = -EINVAL;
	} else {
		*hb = (unsigned)json_integer_value(v);
		rc = 1;
	}
	json_decref(root);
	return rc;
}

/* Append s to buf[*n..sz), control characters and bytes outside ASCII as
 * '?': the text goes to a log line. */
static void cat_clean(char *buf, size_t sz, size_t *n, const char *s)
{
	for (; *s && *n + 1 < sz; s++)
		buf[(*n)++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	buf[*n] = '\0';
}

int nrf_problem_text(const char *body, size_t len, char *buf, size_t sz)
{
	json_t *root = load_object(body, len);
	const char *title = NULL, *detail = NULL, *cause = NULL;
	size_t n = 0;

	if (sz)
		buf[0] = '\0';
	if (!root)
		return -EBADMSG;
	title = json_string_value(json_object_get(root, "title"));
	detail = json_string_value(json_object_get(root, "detail"));
	cause = json_string_value(json_object_get(root, "cause"));
	if (!title && !detail && !cause) {
		json_decref(root);
		return -EBADMSG;
	}
	if (sz) {
		if (title)
			cat_clean(buf, sz, &n, title);
		if (detail) {
			if (title)
				cat_clean(buf, sz, &n, ": ");
			cat_clean(buf, sz, &n, detail);
		}
		if (cause) {
			cat_clean(buf, sz, &n, title || detail ? " (" : "(");
			cat_clean(buf, sz, &n, cause);
			cat_clean(buf, sz, &n, ")");
		}
	}
	json_decref(root);
	return (int)n;
}

const char *nrf_heartbeat_body(void)
{
	/* TS 29.510 5.2.2.3.2: the heartbeat is an NFUpdate whose patch
	 * replaces nfStatus with REGISTERED. */
	return "[{\"op\":\"replace\",\"path\":\"/nfStatus\",\"value\":\"REGISTERED\"}]";
}

/* ------------------------------------------------------------- UUID */

static int random_bytes(uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ENOSYS)
			break;
		if (r < 0)
			return -errno;
		got += (size_t)r;
	}
	if (got < n) {
		/* A kernel without getrandom(2). */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		while (got < n) {
			ssize_t r = read(fd, b + got, n - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				int e = r < 0 ? errno : EIO;
				close(fd);
				return -e;
			}
			got += (size_t)r;
		}
		close(fd);
	}
	return 0;
}

int nrf_uuid_generate(char out[NRF_UUID_LEN + 1])
{
	uint8_t b[16];
	int rc = random_bytes(b, sizeof(b));

	if (rc)
		return rc;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);	/* variant 10 */
	snprintf(out, NRF_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return 0;
}

bool nrf_uuid_valid(const char *s)
{
	if (!s)
		return false;
	for (int i = 0; i < NRF_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[NRF_UUID_LEN] == '\0';
}
