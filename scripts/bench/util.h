/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - what the data-path (dp.c) and control-plane (cp.c) benchmarks
 * share.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <sys/types.h>

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);
/* Enter the network namespace at @path (/run/netns/NAME). 0 or -errno. */
int bench_enter_ns(const char *path);
/* Pin the calling thread to @cpu (-1: leave it). 0 or -errno. */
int bench_pin_cpu(int cpu);
/* utime + stime of @pid in ms (clock-tick resolution), -1 if gone. */
double bench_cpu_ms(pid_t pid);
/* Stop child @pid: SIGTERM, SIGKILL after 5 s; reaped either way. */
void bench_stop_child(pid_t pid);

#endif /* BENCH_UTIL_H */
