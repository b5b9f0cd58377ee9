/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dp.h - the two benchmarks' entry points (bench.c dispatches to them).
 */
#ifndef BENCH_DP_H
#define BENCH_DP_H

/* `bench dp ...`: run the data-path cases; returns the exit status. */
int dp_main(int argc, char **argv);
/* `bench cp ...`: run the control-plane figures; returns the exit status. */
int cp_main(int argc, char **argv);

#endif /* BENCH_DP_H */
