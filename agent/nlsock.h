/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlsock.h - what the netlink watchers (nft.c, xfrm.c) each do with a
 * socket: open and bind one, and empty one whose messages only say that
 * something changed.
 */
#ifndef NLSOCK_H
#define NLSOCK_H

#include <errno.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

/* A netlink socket of @proto (SOCK_* @flags), bound; NULL, errno set. */
static inline struct mnl_socket *nlsock_open(int proto, int flags)
{
	struct mnl_socket *s = mnl_socket_open2(proto, flags);

	if (s && mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(s);
		errno = err;
		return NULL;
	}
	return s;
}

/*
 * Read and drop all that non-blocking @fd holds: what changed does not
 * matter to the caller, nor does an overrun (ENOBUFS).
 */
static inline void nlsock_drain(int fd)
{
	char buf[4096];
	ssize_t len;

	do
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (len > 0 || (len < 0 && errno == ENOBUFS));
}

#endif /* NLSOCK_H */
