// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-exec.c - kg-exec FILE [ARG...]: execve(FILE) in a child and report the
 * errno execve saw ("result=errno:EPERM"), or result=ok when the program
 * ran and exited 0 (result=exit:N otherwise). Shells only print strerror
 * text; this gives scenarios the errno itself.
 */
#include "kg_helper.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: kg-exec FILE [ARG...]\n");
		return KG_HELPER_USAGE;
	}
	return kg_exec_result(argv[1], argv + 1);
}
