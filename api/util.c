// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - see util.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <unistd.h>

#include "util.h"

int api_parse_ipv4(const char *s, uint32_t *ip)
{
	uint8_t b[4];
	int part;

	for (part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;

		if (part > 0 && *s++ != '.')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			if (digits == 1 && v == 0)
				return -EINVAL; /* leading zero */
			v = v * 10 + (*s++ - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		}
		if (!digits)
			return -EINVAL;
		b[part] = v;
	}
	if (*s)
		return -EINVAL;
	memcpy(ip, b, 4);
	return 0;
}

int api_parse_ip(const char *s, struct ip_addr *a, const char **why)
{
	memset(a, 0, sizeof(*a));
	if (!api_parse_ipv4(s, &a->v4)) {
		a->family = AF_INET;
		return 0;
	}
	if (strchr(s, '%')) {
		*why = "a zone index (%) names an interface, not an address";
		return -EINVAL;
	}
	if (inet_pton(AF_INET6, s, a->v6) != 1) {
		*why = "not an IPv4 (dotted quad) or IPv6 address";
		return -EINVAL;
	}
	if (IN6_IS_ADDR_V4MAPPED(a->v6)) {
		*why = "an IPv4-mapped IPv6 address: write the IPv4 address";
		return -EINVAL;
	}
	a->family = AF_INET6;
	return 0;
}

void api_format_ip(const struct ip_addr *a, char out[API_IP_STRLEN])
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET,
		       ip_addr_key(a), out, API_IP_STRLEN))
		snprintf(out, API_IP_STRLEN, "?");
}

const char *api_ip_not_unicast(const struct ip_addr *a)
{
	const struct in6_addr *v6 = (const struct in6_addr *)a->v6;
	uint32_t h = ntohl(a->v4);

	if (a->family != AF_INET6)
		/* "this network", loopback, multicast, class E, broadcast */
		return (h >> 24) == 0 || (h >> 24) == 127 || h >= 0xe0000000
			       ? "not a unicast address"
			       : NULL;
	if (IN6_IS_ADDR_MULTICAST(v6))
		return "a multicast address";
	if (IN6_IS_ADDR_LINKLOCAL(v6))
		return "link-local: the kernel never forwards it off its link";
	if (!v6->s6_addr32[0] && !v6->s6_addr32[1] && !v6->s6_addr32[2])
		return "not a unicast address (unspecified, loopback or "
		       "IPv4-compatible)";
	return NULL;
}

int api_ip_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	uint32_t x = ntohl(a->v4), y = ntohl(b->v4);

	if (a->family != b->family)
		return a->family == AF_INET6 ? 1 : -1;
	if (a->family == AF_INET6)
		return memcmp(a->v6, b->v6, 16);
	return x < y ? -1 : x > y;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int api_parse_mac(const char *s, uint8_t mac[6])
{
	char sep = s[0] && s[1] ? s[2] : 0;
	int i;

	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi, lo;

		if (i > 0 && *s++ != sep)
			return -EINVAL;
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		mac[i] = hi << 4 | lo;
		s += 2;
	}
	return *s ? -EINVAL : 0;
}

void api_format_mac(const uint8_t mac[6], char out[API_MAC_STRLEN])
{
	snprintf(out, API_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int api_uuid4(char out[API_UUID_STRLEN])
{
	uint8_t r[16];
	ssize_t n;

	/* 16 bytes never block or come back short once the pool is ready */
	n = getrandom(r, sizeof(r), 0);
	if (n < 0)
		return -errno;
	if (n != sizeof(r))
		return -EIO;
	r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, API_UUID_STRLEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
	return 0;
}

bool api_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000))
			return false; /* overlong */
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

bool api_secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	/*
	 * Walk all of @b (the presented value) whatever @a is, so that the
	 * time depends only on what the client sent.
	 */
	unsigned char diff = alen != blen;
	size_t i;

	for (i = 0; i < blen; i++)
		diff |= (unsigned char)(b[i] ^ (alen ? a[i % alen] : 0));
	return diff == 0 && alen != 0;
}

int api_load_token(const char *path, bool strict, char **token, size_t *len,
		   const char **why)
{
	char buf[API_TOKEN_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, err;
	size_t i;

	*why = NULL;
	/* O_NONBLOCK: a FIFO (or a device) must not hang the start */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	err = -EINVAL;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if (strict && st.st_uid != geteuid() && st.st_uid != 0) {
		*why = "owned by another user, who could change it";
		goto out;
	}
	if (strict && (st.st_mode & 077)) {
		*why = "group or others may read or write it: the token "
		       "would be no secret (chmod 600 it)";
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		err = -errno;
		goto out;
	}
	*why = "want one line of printable ASCII without spaces";
	if (n > API_TOKEN_MAX)
		goto out;
	/* a trailing newline is the editor's, not the token's */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0)
		goto out;
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7e)
			goto out;
	*why = NULL;
	err = 0;
	*token = strndup(buf, n);
	if (!*token)
		err = -ENOMEM;
	else
		*len = n;
out:
	close(fd);
	return err;
}

int api_read_token(const char *path, char **token, size_t *len)
{
	const char *why;

	return api_load_token(path, false, token, len, &why);
}

int api_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	unsigned long p;
	char *end;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		n = colon - s - 1;
		port = colon + 2;
		s++;
	} else {
		/* an IPv6 literal needs its brackets: "::1:5555" is unclear */
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		n = colon - s;
		port = colon + 1;
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p == 0 || p > 65535 || *port == '-' ||
	    *port == '+')
		return -EINVAL;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		*sl = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

bool api_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	       s6->sin6_addr.s6_addr[12] == 127;
}
