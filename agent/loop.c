// SPDX-License-Identifier: GPL-2.0
/*
 * loop.c - the daemon's event loop: one epoll set, hooks run before each
 * wait, timers as timerfds. See loop.h for the contract.
 *
 * Why it is shaped this way: every source the daemon has (netlink, the
 * signalfd, timers, the HTTP server's own epoll fd) is a file descriptor,
 * so one epoll set and one thread are enough and nothing needs a lock.
 *
 * A callback may delete any watched fd, also one whose event is still
 * waiting further down the current epoll_wait() batch. Each watched fd has
 * a record that epoll's data pointer names; deleting marks the record dead
 * and parks it on a list freed only after the batch, so a pending event
 * never reaches a freed record or a new owner of a reused fd number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_HOOKS 8
#define LOOP_MAX_EVENTS 64

struct loop_file {
	int fd;
	bool dead;  /* deleted; freed after the current batch */
	bool timer; /* a timerfd the loop created and closes */
	loop_fd_fn fn;
	void *arg;
	struct loop_file *next; /* in loop->files or loop->graveyard */
};

struct loop_hook {
	loop_hook_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;		     /* loop_stop() was called */
	struct loop_file *files;     /* live records */
	struct loop_file *graveyard; /* dead, awaiting end of batch */
	struct loop_hook hooks[LOOP_MAX_HOOKS];
	int n_hooks;
	struct loop_stats st;
};

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = errno;

		free(loop);
		errno = err;
		return NULL;
	}
	return loop;
}

static void file_free(struct loop_file *f)
{
	if (f->timer)
		close(f->fd);
	free(f);
}

static void graveyard_empty(struct loop *loop)
{
	while (loop->graveyard) {
		struct loop_file *f = loop->graveyard;

		loop->graveyard = f->next;
		file_free(f);
	}
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->files) {
		struct loop_file *f = loop->files;

		loop->files = f->next;
		file_free(f);
	}
	graveyard_empty(loop);
	close(loop->epfd);
	free(loop);
}

/* Linear: the daemon watches a handful of fds, not thousands. */
static struct loop_file *file_find(struct loop *loop, int fd)
{
	struct loop_file *f;

	for (f = loop->files; f; f = f->next)
		if (f->fd == fd)
			return f;
	return NULL;
}

static int file_add(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn,
		    void *arg, bool timer)
{
	struct epoll_event ev = {.events = events};
	struct loop_file *f;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (file_find(loop, fd))
		return -EEXIST;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->fn = fn;
	f->arg = arg;
	f->timer = timer;
	ev.data.ptr = f;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(f);
		return err;
	}
	f->next = loop->files;
	loop->files = f;
	return 0;
}

int loop_add(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn,
	     void *arg)
{
	return file_add(loop, fd, events, fn, arg, false);
}

int loop_mod(struct loop *loop, int fd, uint32_t events)
{
	struct loop_file *f = file_find(loop, fd);
	struct epoll_event ev = {.events = events};

	if (!f)
		return -ENOENT;
	ev.data.ptr = f;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_del(struct loop *loop, int fd)
{
	struct loop_file **pp = &loop->files, *f;

	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	f = *pp;
	if (!f)
		return -ENOENT;
	*pp = f->next;
	/* A closed fd has already left the epoll set: ignore EBADF/ENOENT. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	f->dead = true;
	f->next = loop->graveyard;
	loop->graveyard = f;
	return 0;
}

int loop_add_hook(struct loop *loop, loop_hook_fn fn, void *arg)
{
	if (!fn)
		return -EINVAL;
	if (loop->n_hooks == LOOP_MAX_HOOKS)
		return -ENOSPC;
	loop->hooks[loop->n_hooks].fn = fn;
	loop->hooks[loop->n_hooks].arg = arg;
	loop->n_hooks++;
	return 0;
}

static void ms_to_ts(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000;
}

int loop_timer_set(int timer_fd, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {};

	ms_to_ts(first_ms, &its.it_value);
	ms_to_ts(first_ms ? interval_ms : 0, &its.it_interval);
	if (timerfd_settime(timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

int loop_timer_add(struct loop *loop, uint64_t first_ms, uint64_t interval_ms,
		   loop_fd_fn fn, void *arg)
{
	int fd, err;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = loop_timer_set(fd, first_ms, interval_ms);
	if (err)
		goto err_close;
	err = file_add(loop, fd, EPOLLIN, fn, arg, true);
	if (err)
		goto err_close;
	return fd;

err_close:
	close(fd);
	return err;
}

static void dispatch(struct loop *loop, struct loop_file *f, uint32_t events)
{
	uint64_t expirations, t0, us;

	if (f->dead)
		return;
	/*
	 * Drain the expiry count so the level-triggered timerfd goes quiet;
	 * EAGAIN means it was re-armed by loop_timer_set() since it fired.
	 */
	if (f->timer && read(f->fd, &expirations, sizeof(expirations)) !=
				sizeof(expirations))
		return;
	t0 = loop_now_us();
	f->fn(loop, f->fd, events, f->arg);
	us = loop_now_us() - t0;
	loop->st.callbacks++;
	if (us > loop->st.max_us)
		loop->st.max_us = us;
	if (us >= LOOP_SLOW_US)
		loop->st.slow++;
}

void loop_get_stats(const struct loop *loop, struct loop_stats *out)
{
	*out = loop->st;
}

int loop_run(struct loop *loop)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int err = 0;

	while (!loop->stop) {
		int i, n;

		for (i = 0; i < loop->n_hooks && !loop->stop; i++)
			loop->hooks[i].fn(loop, loop->hooks[i].arg);
		if (loop->stop)
			break;
		n = epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		/* Events after a loop_stop() stay pending for the next run. */
		for (i = 0; i < n && !loop->stop; i++)
			dispatch(loop, evs[i].data.ptr, evs[i].events);
		graveyard_empty(loop);
	}
	graveyard_empty(loop);
	/* Ready to run again (tests, or a caller that restarts the loop). */
	loop->stop = false;
	return err;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

uint64_t loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
