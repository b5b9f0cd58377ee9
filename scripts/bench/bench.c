// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - the benchmark driver behind scripts/bench.sh: `bench dp` for
 * the data path, `bench cp` for the control plane. bench.sh builds the
 * namespaces and turns the JSON this writes into the table, the Markdown
 * and the plot.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "dp.h"

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet_libbpf);
	if (argc >= 2 && !strcmp(argv[1], "dp"))
		return dp_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "cp"))
		return cp_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: bench dp|cp OPTIONS\n");
	return 2;
}
