// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * counters.c - sums the per-CPU copies of struct kg_counters. A lookup of
 * a per-CPU array hands back one value per possible CPU, each rounded up
 * to 8 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

int kg_counters_read(int fd, struct kg_counters *out)
{
	size_t stride = (sizeof(struct kg_counters) + 7) & ~(size_t)7;
	int ncpus = libbpf_num_possible_cpus();
	unsigned char *values;
	uint32_t zero = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (ncpus < 0)
		return ncpus;
	values = calloc(ncpus, stride);
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, values)) {
		err = -errno;
		goto out;
	}
	for (int cpu = 0; cpu < ncpus; cpu++) {
		const struct kg_counters *c = (const void *)(values + cpu * stride);

		for (int i = 0; i < 3; i++)
			out->decisions[i] += c->decisions[i];
		out->events_dropped += c->events_dropped;
		out->cache_hits += c->cache_hits;
		out->verifications += c->verifications;
		out->scope_hits += c->scope_hits;
		out->scope_kept += c->scope_kept;
	}
out:
	free(values);
	return err;
}
