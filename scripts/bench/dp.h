/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dp.h - the data-path benchmark (dp.c) and the helpers the control-plane
 * benchmark (cp.c) shares with it.
 */
#ifndef BENCH_DP_H
#define BENCH_DP_H

#include <stdint.h>
#include <stdio.h>

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);
/* Enter the network namespace at @path (/run/netns/NAME). 0 or -errno. */
int bench_enter_ns(const char *path);
/* Pin the calling thread to @cpu (-1: leave it). 0 or -errno. */
int bench_pin_cpu(int cpu);
/* Write @s as a JSON string literal, quotes included. */
void bench_json_str(FILE *f, const char *s);

/* `bench dp ...`: run the data-path cases; returns the exit status. */
int dp_main(int argc, char **argv);
/* `bench cp ...`: run the control-plane figures; returns the exit status. */
int cp_main(int argc, char **argv);

#endif /* BENCH_DP_H */
