/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - strict parsers and formatters shared by the API server and
 * fwdctl: IPv4 addresses, MAC addresses, UUIDs, UTF-8.
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
 * A TCP listen address: "A.B.C.D:PORT" or "[IPV6]:PORT", literal addresses
 * only (no DNS), port 1..65535. The one parser of --listen: the command
 * line, the config file and the server all read it here. 0 or -EINVAL.
 */
int api_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl);
/* 127/8, ::1 or ::ffff:127.x.y.z. */
bool api_is_loopback(const struct sockaddr_storage *ss);

#endif /* API_UTIL_H */
