// SPDX-License-Identifier: GPL-2.0
/*
 * test_loop.c - the event loop: fd callbacks, hooks before every wait,
 * timers, and deleting fds from inside callbacks (also fds whose event is
 * still pending in the same batch).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

struct rec {
	int calls;	   /* callbacks seen */
	int fd_seen;	   /* fd passed to the last callback */
	uint32_t events;   /* events of the last callback */
	int stop_after;	   /* loop_stop() at this many calls (0: never) */
	int del_fd;	   /* fd to loop_del() from the callback (-1: none) */
	int del_rc;	   /* what that loop_del() returned */
	uint64_t first_us; /* loop_now_us() at the first call */
	int *order;	   /* shared sequence log */
	int *n_order;
	int tag;
};

static void on_fd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct rec *r = arg;
	char buf[64];

	if (!r->calls)
		r->first_us = loop_now_us();
	r->calls++;
	r->fd_seen = fd;
	r->events = events;
	if (r->order)
		r->order[(*r->n_order)++] = r->tag;
	/* drain so a level-triggered pipe goes quiet */
	if (events & EPOLLIN)
		while (read(fd, buf, sizeof(buf)) == sizeof(buf))
			;
	if (r->del_fd >= 0) {
		r->del_rc = loop_del(loop, r->del_fd);
		r->del_fd = -1;
	}
	if (r->stop_after && r->calls >= r->stop_after)
		loop_stop(loop);
}

static void on_hook(struct loop *loop, void *arg)
{
	struct rec *r = arg;

	(void)loop;
	r->calls++;
	if (r->order)
		r->order[(*r->n_order)++] = r->tag;
	if (r->stop_after && r->calls >= r->stop_after)
		loop_stop(loop);
}

static void make_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void test_readable_fd_calls_its_callback_with_epollin(void **state)
{
	struct rec r = {.stop_after = 1, .del_fd = -1};
	struct loop *loop = loop_new();
	int p[2];

	(void)state;
	assert_non_null(loop);
	make_pipe(p);
	assert_int_equal(loop_add(loop, p[0], EPOLLIN, on_fd, &r), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fd_seen, p[0]);
	assert_true(r.events & EPOLLIN);
	loop_free(loop);
	close(p[0]);
	close(p[1]);
}

static void test_adding_same_fd_twice_fails_with_eexist(void **state)
{
	struct rec r = {.del_fd = -1};
	struct loop *loop = loop_new();
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(loop_add(loop, p[0], EPOLLIN, on_fd, &r), 0);
	assert_int_equal(loop_add(loop, p[0], EPOLLIN, on_fd, &r), -EEXIST);
	assert_int_equal(loop_add(loop, -1, EPOLLIN, on_fd, &r), -EINVAL);
	assert_int_equal(loop_del(loop, p[1]), -ENOENT);
	assert_int_equal(loop_mod(loop, p[1], EPOLLIN), -ENOENT);
	loop_free(loop);
	close(p[0]);
	close(p[1]);
}

static void test_loop_mod_switches_to_writable_events(void **state)
{
	struct rec r = {.stop_after = 1, .del_fd = -1};
	struct loop *loop = loop_new();
	int p[2];

	(void)state;
	make_pipe(p);
	/* the write end is always writable, but not watched for it yet */
	assert_int_equal(loop_add(loop, p[1], 0, on_fd, &r), 0);
	assert_int_equal(loop_mod(loop, p[1], EPOLLOUT), 0);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(r.calls, 1);
	assert_true(r.events & EPOLLOUT);
	loop_free(loop);
	close(p[0]);
	close(p[1]);
}

static void test_hooks_run_in_order_before_each_wait(void **state)
{
	int order[16], n_order = 0;
	struct rec h1 = {.order = order, .n_order = &n_order, .tag = 1};
	struct rec h2 = {.order = order, .n_order = &n_order, .tag = 2};
	struct rec f = {
		.order = order, .n_order = &n_order, .tag = 9, .del_fd = -1};
	struct loop *loop = loop_new();
	int p[2];

	(void)state;
	make_pipe(p);
	/* the second hook stops the loop on its second run */
	h2.stop_after = 2;
	assert_int_equal(loop_add_hook(loop, on_hook, &h1), 0);
	assert_int_equal(loop_add_hook(loop, on_hook, &h2), 0);
	assert_int_equal(loop_add(loop, p[0], EPOLLIN, on_fd, &f), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(loop), 0);
	/* hooks, wait (fd fires), hooks again, then stop */
	assert_int_equal(n_order, 5);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 9);
	assert_int_equal(order[3], 1);
	assert_int_equal(order[4], 2);
	loop_free(loop);
	close(p[0]);
	close(p[1]);
}

static void test_more_than_eight_hooks_fail_with_enospc(void **state)
{
	struct rec h = {0};
	struct loop *loop = loop_new();
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(loop_add_hook(loop, on_hook, &h), 0);
	assert_int_equal(loop_add_hook(loop, on_hook, &h), -ENOSPC);
	loop_free(loop);
}

static void test_periodic_timer_fires_repeatedly(void **state)
{
	struct rec r = {.stop_after = 3, .del_fd = -1};
	struct loop *loop = loop_new();
	uint64_t t0 = loop_now_us(), dt;
	int tfd;

	(void)state;
	tfd = loop_timer_add(loop, 20, 10, on_fd, &r);
	assert_true(tfd >= 0);
	assert_int_equal(loop_run(loop), 0);
	dt = loop_now_us() - t0;
	assert_int_equal(r.calls, 3);
	assert_int_equal(r.fd_seen, tfd);
	assert_true(r.events & EPOLLIN);
	/* first after 20 ms, then two more 10 ms apart */
	assert_true(r.first_us - t0 >= 20000);
	assert_true(dt >= 40000);
	assert_true(dt < 2000000);
	loop_free(loop);
}

/* A one-shot timer fires once; a second, later timer ends the run. */
static void test_one_shot_timer_fires_once(void **state)
{
	struct rec once = {.del_fd = -1};
	struct rec end = {.stop_after = 1, .del_fd = -1};
	struct loop *loop = loop_new();

	(void)state;
	assert_true(loop_timer_add(loop, 5, 0, on_fd, &once) >= 0);
	assert_true(loop_timer_add(loop, 60, 0, on_fd, &end) >= 0);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(once.calls, 1);
	assert_int_equal(end.calls, 1);
	loop_free(loop);
}

static void on_slow(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	usleep(LOOP_SLOW_US + 5000);
	loop_stop(loop);
}

/* The loop counts its callbacks, the longest and the slow ones. */
static void test_slow_callbacks_are_counted(void **state)
{
	struct rec once = {.del_fd = -1};
	struct loop_stats st;
	struct loop *loop = loop_new();

	(void)state;
	assert_true(loop_timer_add(loop, 1, 0, on_fd, &once) >= 0);
	assert_true(loop_timer_add(loop, 30, 0, on_slow, NULL) >= 0);
	assert_int_equal(loop_run(loop), 0);
	loop_get_stats(loop, &st);
	assert_int_equal(st.callbacks, 2);
	assert_int_equal(st.slow, 1);
	assert_true(st.max_us >= LOOP_SLOW_US + 5000);
	loop_free(loop);
}

static void test_disarmed_timer_never_fires(void **state)
{
	struct rec t = {.del_fd = -1};
	struct rec end = {.stop_after = 1, .del_fd = -1};
	struct loop *loop = loop_new();
	int tfd;

	(void)state;
	tfd = loop_timer_add(loop, 5, 5, on_fd, &t);
	assert_true(tfd >= 0);
	assert_int_equal(loop_timer_set(tfd, 0, 5), 0);
	assert_true(loop_timer_add(loop, 50, 0, on_fd, &end) >= 0);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(t.calls, 0);
	/* re-armed, it fires again */
	end.calls = 0;
	assert_int_equal(loop_timer_set(tfd, 1, 0), 0);
	t.stop_after = 1;
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(t.calls, 1);
	loop_free(loop);
}

/*
 * Two fds ready in the same batch; whichever runs first deletes the other.
 * The deleted one must not be called, and the loop must not touch freed
 * memory (run under ASan/valgrind to see it; here: no second callback).
 */
static void test_fd_deleted_by_another_callback_is_not_called(void **state)
{
	struct rec a = {.del_fd = -1}, b = {.del_fd = -1};
	struct rec end = {.stop_after = 1, .del_fd = -1};
	struct loop *loop = loop_new();
	int pa[2], pb[2];

	(void)state;
	make_pipe(pa);
	make_pipe(pb);
	a.del_fd = pb[0];
	b.del_fd = pa[0];
	assert_int_equal(loop_add(loop, pa[0], EPOLLIN, on_fd, &a), 0);
	assert_int_equal(loop_add(loop, pb[0], EPOLLIN, on_fd, &b), 0);
	assert_true(loop_timer_add(loop, 50, 0, on_fd, &end) >= 0);
	assert_int_equal(write(pa[1], "x", 1), 1);
	assert_int_equal(write(pb[1], "x", 1), 1);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(a.calls ? a.del_rc : b.del_rc, 0);
	loop_free(loop);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
}

/*
 * A callback deletes its own fd, closes it, and a new fd with the same
 * number is added: the stale record must not receive the new fd's events,
 * and the new one works.
 */
struct reuse {
	struct rec first, second;
	int p2[2];
};

static void on_fd_reuse(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct reuse *r = arg;

	(void)events;
	r->first.calls++;
	assert_int_equal(loop_del(loop, fd), 0);
	close(fd);
	make_pipe(r->p2);
	assert_int_equal(write(r->p2[1], "y", 1), 1);
	assert_int_equal(loop_add(loop, r->p2[0], EPOLLIN, on_fd, &r->second),
			 0);
}

static void test_self_delete_then_fd_reuse_routes_to_new_owner(void **state)
{
	struct reuse r = {.first = {.del_fd = -1},
			  .second = {.stop_after = 1, .del_fd = -1}};
	struct loop *loop = loop_new();
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(loop_add(loop, p[0], EPOLLIN, on_fd_reuse, &r), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	close(p[1]);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(r.first.calls, 1);
	assert_int_equal(r.second.calls, 1);
	assert_int_equal(r.second.fd_seen, r.p2[0]);
	loop_free(loop);
	close(r.p2[0]);
	close(r.p2[1]);
}

static void test_deleted_timer_stops_firing(void **state)
{
	struct rec t = {.del_fd = -1};
	struct rec end = {.stop_after = 1, .del_fd = -1};
	struct loop *loop = loop_new();
	int tfd;

	(void)state;
	tfd = loop_timer_add(loop, 1, 1, on_fd, &t);
	assert_true(tfd >= 0);
	t.del_fd = tfd; /* deletes itself on first expiry */
	assert_true(loop_timer_add(loop, 50, 0, on_fd, &end) >= 0);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.del_rc, 0);
	loop_free(loop);
}

static void test_stop_before_run_returns_at_once(void **state)
{
	struct rec h = {0};
	struct loop *loop = loop_new();

	(void)state;
	assert_int_equal(loop_add_hook(loop, on_hook, &h), 0);
	loop_stop(loop);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(h.calls, 0);
	loop_free(loop);
}

static void test_now_us_is_monotonic(void **state)
{
	uint64_t a = loop_now_us(), b;

	(void)state;
	usleep(2000);
	b = loop_now_us();
	assert_true(b >= a + 2000);
	assert_true(b < a + 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_readable_fd_calls_its_callback_with_epollin),
		cmocka_unit_test(test_adding_same_fd_twice_fails_with_eexist),
		cmocka_unit_test(test_loop_mod_switches_to_writable_events),
		cmocka_unit_test(test_hooks_run_in_order_before_each_wait),
		cmocka_unit_test(test_more_than_eight_hooks_fail_with_enospc),
		cmocka_unit_test(test_periodic_timer_fires_repeatedly),
		cmocka_unit_test(test_one_shot_timer_fires_once),
		cmocka_unit_test(test_disarmed_timer_never_fires),
		cmocka_unit_test(test_slow_callbacks_are_counted),
		cmocka_unit_test(
			test_fd_deleted_by_another_callback_is_not_called),
		cmocka_unit_test(
			test_self_delete_then_fd_reuse_routes_to_new_owner),
		cmocka_unit_test(test_deleted_timer_stops_firing),
		cmocka_unit_test(test_stop_before_run_returns_at_once),
		cmocka_unit_test(test_now_us_is_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
