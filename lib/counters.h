/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * counters.h - keygate's decision counters: one struct kg_counters per CPU
 * in a per-CPU array (each program counts on its own CPU's copy, no
 * shared cache line); readers sum them. 0 or -errno; no output.
 */
#ifndef KEYGATE_COUNTERS_H
#define KEYGATE_COUNTERS_H

#include "keygate_abi.h"

/* Sums the per-CPU copies in the counters map FD into *out. */
int kg_counters_read(int fd, struct kg_counters *out);

#endif /* KEYGATE_COUNTERS_H */
