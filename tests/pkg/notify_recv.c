// SPDX-License-Identifier: GPL-2.0
/*
 * notify_recv.c - stand in for systemd's side of sd_notify(3) in tests.
 *
 * Binds the datagram socket that NOTIFY_SOCKET names, prints every message
 * it receives (one line per assignment, as sent), and exits 0 as soon as a
 * message carries READY=1, or 1 when @timeout seconds pass without one. A
 * test starts it, then the daemon with NOTIFY_SOCKET=PATH, and waits for it:
 * the same condition on which systemd considers a Type=notify unit started.
 *
 * usage: notify_recv PATH TIMEOUT_SECONDS
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	long deadline;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: notify_recv PATH TIMEOUT_SECONDS\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("notify_recv: socket");
		return 2;
	}
	deadline = now_ms() + atol(argv[2]) * 1000;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left = deadline - now_ms();
		char msg[4096];
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			fprintf(stderr, "notify_recv: no READY=1 in %ss\n",
				argv[2]);
			return 1;
		}
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("notify_recv: recv");
			return 2;
		}
		msg[n] = '\0';
		printf("%s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
		fflush(stdout);
		/* assignments are newline-separated; READY=1 may be any one */
		for (char *l = strtok(msg, "\n"); l; l = strtok(NULL, "\n"))
			if (!strcmp(l, "READY=1"))
				return 0;
	}
}
