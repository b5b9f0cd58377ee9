/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - strict parsers and formatters shared by the daemon and fwdctl:
 * IP and MAC addresses, UUIDs, UTF-8.
 *
 * Everything here is pure (no I/O but getrandom) so that the action code
 * built on it can be unit-tested and fuzzed.
 */
#ifndef API_UTIL_H
#define API_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <netinet/in.h>

#include "addr.h"

/* "xx:xx:xx:xx:xx:xx" plus the NUL. */
#define API_MAC_STRLEN 18
/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" plus the NUL. */
#define API_UUID_STRLEN 37

/*
 * Dotted quad, exactly four decimal parts 0..255, no spaces, no leading
 * zeros (which some parsers read as octal). @ip in network order.
 * 0 or -EINVAL.
 */
int api_parse_ipv4(const char *s, uint32_t *ip);

/* The longest text api_format_ip() writes, with the NUL. */
#define API_IP_STRLEN 46

/*
 * A dotted quad (api_parse_ipv4()) or IPv6 text in any form RFC 4291
 * allows. Refused, with the reason in *@why: a zone index ("fe80::1%eth0"
 * names an interface, not an address), an IPv4-mapped address
 * (::ffff:a.b.c.d is IPv4, never on the wire: write a.b.c.d), anything
 * else inet_pton() does not take ("1::2::3"). 0 or -EINVAL.
 */
int api_parse_ip(const char *s, struct ip_addr *a, const char **why);
/* Dotted quad, or RFC 5952 text (lower case, the longest zero run as ::). */
void api_format_ip(const struct ip_addr *a, char out[API_IP_STRLEN]);
/*
 * Why the kernel would never forward to @a as unicast, or NULL if it
 * could: what an override may not name. IPv4: 0/8, 127/8, 224/3 and
 * broadcast. IPv6 (ipv6_addr_type() as ip6_forward() reads it): multicast,
 * link-local (never beyond its link), unspecified, loopback, the rest of
 * ::/96.
 */
const char *api_ip_not_unicast(const struct ip_addr *a);
/* Order for listings: IPv4 before IPv6, each by numeric value. */
int api_ip_cmp(const struct ip_addr *a, const struct ip_addr *b);

/*
 * Six hex pairs separated by ':' (or all by '-'), either case.
 * 0 or -EINVAL.
 */
int api_parse_mac(const char *s, uint8_t mac[6]);
/* Lower case, colon separated: what every reply shows. */
void api_format_mac(const uint8_t mac[6], char out[API_MAC_STRLEN]);

/* A random (version 4) UUID from getrandom(2). 0 or -errno. */
int api_uuid4(char out[API_UUID_STRLEN]);

/* Well-formed UTF-8: no overlong forms, surrogates or values > U+10FFFF. */
bool api_utf8_valid(const char *s, size_t len);

/* Compare without leaking through timing where the first difference is. */
bool api_secret_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Longest bearer token accepted. */
#define API_TOKEN_MAX 4096

/*
 * Read a bearer token from @path: printable ASCII without spaces, one
 * trailing newline allowed. @token is malloc'ed. 0, -EINVAL (empty, too
 * long or a bad character) or -errno from open/read.
 */
int api_read_token(const char *path, char **token, size_t *len);
/*
 * The same, opened without blocking and refused (-EINVAL, @why says why)
 * unless a regular file; with @strict (the daemon's --token-file) also
 * unless owned by us or root and readable by its owner alone (0600,
 * 0400): a token others can read is no secret.
 */
int api_load_token(const char *path, bool strict, char **token, size_t *len,
		   const char **why);

/*
 * A TCP listen address: "A.B.C.D:PORT" or "[IPV6]:PORT", literal addresses
 * only (no DNS), port 1..65535. The one parser of --listen: the command
 * line, the config file and the server all read it here. 0 or -EINVAL.
 */
int api_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl);
/* 127/8, ::1 or ::ffff:127.x.y.z. */
bool api_is_loopback(const struct sockaddr_storage *ss);

#endif /* API_UTIL_H */
