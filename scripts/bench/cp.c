// SPDX-License-Identifier: GPL-2.0
/*
 * cp.c - the control-plane benchmark (placeholder until the daemon lands).
 */
#include <stdio.h>

#include "dp.h"

int cp_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "bench: control plane: not yet\n");
	return 3;
}
