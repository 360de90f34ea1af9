// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-keyring-lookup - runs lsm/probe.bpf.c's key lookup once (its
 * SEC("syscall") program with BPF_PROG_TEST_RUN, or where the kernel refuses
 * key kfuncs there, its sleepable file_open program) and prints what the
 * kernel side saw:
 *
 *   kg-keyring-lookup SERIAL          bpf_lookup_user_key(SERIAL, 0)
 *   kg-keyring-lookup --system ID     bpf_lookup_system_key(ID)
 *
 * Output: "found=<0|1> keys_put=<n>" (stderr names the program kind). Exit 0 when the program ran, 1 if it
 * could not be loaded or run, 2 on usage errors. Needs root.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t serial = 0, system_id = 0;
	struct kg_keyring_lookup res = { .found = -1 };
	int err;

	if (argc == 2 && parse_u32(argv[1], &serial) == 0 && serial != 0) {
		/* user keyring lookup by explicit serial */
	} else if (argc == 3 && strcmp(argv[1], "--system") == 0 &&
		   parse_u32(argv[2], &system_id) == 0) {
		serial = 0;
	} else {
		fprintf(stderr, "usage: kg-keyring-lookup SERIAL | --system ID\n");
		return 2;
	}
	err = kg_probe_keyring_lookup(serial, system_id, &res);
	if (err) {
		fprintf(stderr, "kg-keyring-lookup: running probe_keyring_lookup failed: %s\n",
			strerror(-err));
		return 1;
	}
	printf("found=%d keys_put=%" PRIu64 "\n", res.found, res.keys_put);
	fprintf(stderr, "kg-keyring-lookup: looked up by a %s\n", res.via);
	return 0;
}
