/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loop.h - the daemon's one event loop (epoll), after redis' ae.c.
 *
 * One thread owns every file descriptor the daemon waits on: netlink
 * sockets, the signalfd, timerfds and the HTTP server's epoll fd.
 * Callbacks run to completion; no callback blocks (loop_get_stats()
 * counts the slow ones). Hooks run once per iteration just before epoll_wait()
 * (the place for group commit and for re-arming the HTTP timeout).
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* @events are EPOLLIN/EPOLLOUT/... as returned by epoll_wait(). */
typedef void (*loop_fd_fn)(struct loop *loop, int fd, uint32_t events,
			   void *arg);
typedef void (*loop_hook_fn)(struct loop *loop, void *arg);

/* Returns NULL with errno set on failure. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watch @fd for @events (EPOLLIN...). 0 or -errno. One callback per fd. */
int loop_add(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn,
	     void *arg);
int loop_mod(struct loop *loop, int fd, uint32_t events);
/* Safe to call from inside any callback, also for the fd being served. */
int loop_del(struct loop *loop, int fd);

/* Run @fn before every epoll_wait(). 0 or -errno (-ENOSPC past 8 hooks). */
int loop_add_hook(struct loop *loop, loop_hook_fn fn, void *arg);

/*
 * A timerfd in the loop: first expiry after @first_ms, then every
 * @interval_ms (0 = one-shot). Returns the timer's fd (its id, for
 * loop_timer_set() and loop_del()) or -errno. @fn gets EPOLLIN; the loop
 * reads the expiry count itself.
 */
int loop_timer_add(struct loop *loop, uint64_t first_ms, uint64_t interval_ms,
		   loop_fd_fn fn, void *arg);
/* Re-arm a timer; @first_ms = 0 disarms it. 0 or -errno. */
int loop_timer_set(int timer_fd, uint64_t first_ms, uint64_t interval_ms);

/* Run until loop_stop(). Returns 0, or -errno if epoll_wait() failed. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/*
 * How long callbacks ran: the loop's promise that nothing blocks, kept
 * count of. A slow one delays every other event, API requests included.
 */
#define LOOP_SLOW_US 20000
struct loop_stats {
	uint64_t callbacks; /* fd and timer callbacks run */
	uint64_t max_us;    /* the longest one, in microseconds */
	uint64_t slow;	    /* ... that ran LOOP_SLOW_US or longer */
};
void loop_get_stats(const struct loop *loop, struct loop_stats *out);

/* Monotonic clock in microseconds, for latency figures and timeouts. */
uint64_t loop_now_us(void);

#endif /* LOOP_H */
