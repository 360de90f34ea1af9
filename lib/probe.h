/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * probe.h - what the running kernel supports, as a list of named checks.
 * `keygate probe` prints the report; `keygate run` calls kg_probe_run() and
 * refuses to start with the first failing check's detail.
 */
#ifndef KEYGATE_PROBE_H
#define KEYGATE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#define KG_PROBE_MAX_CHECKS 24
#define KG_PROBE_DETAIL_LEN 256

struct kg_probe_check {
	const char *name;  /* stable identifier, e.g. "lsm-load", "kfunc:bpf_key_put" */
	bool ok;
	bool required;     /* enforcement is impossible without it */
	bool feature;      /* a kernel facility keygate uses where present; its
			    * absence is documented and leaves all_ok alone */
	char detail[KG_PROBE_DETAIL_LEN]; /* what was found, or why it failed */
};

struct kg_probe_report {
	struct kg_probe_check checks[KG_PROBE_MAX_CHECKS];
	int count;
	bool all_ok;       /* every check but the features passed */
	bool can_enforce;  /* every required check passed */
};

/*
 * Runs every check. libbpf's own messages are dropped unless verbose (they
 * mislead: on an EPERM from BPF_PROG_LOAD libbpf suggests raising ulimit -l).
 * Returns 0 (the report says what failed) or -errno if probing itself broke.
 */
int kg_probe_run(struct kg_probe_report *report, bool verbose);

struct kg_keyring_lookup {
	int found;          /* 1 the kernel found the key, 0 not */
	uint64_t keys_put;  /* bpf_key_put calls the program made */
	const char *via;    /* which kind of program did the lookup */
};

/*
 * Asks lsm/probe.bpf.c to look up a key once: bpf_lookup_user_key(serial, 0),
 * or bpf_lookup_system_key(system_id) when serial is 0. Uses the syscall
 * program with BPF_PROG_TEST_RUN where the kernel allows key kfuncs there,
 * else the sleepable file_open program triggered by one open(). Needs root.
 * Returns 0 or -errno.
 */
int kg_probe_keyring_lookup(uint32_t serial, uint32_t system_id, struct kg_keyring_lookup *res);

/* The named check, or NULL. */
const struct kg_probe_check *kg_probe_find(const struct kg_probe_report *report,
					   const char *name);

/* The first failing required check, or NULL when enforcement is possible. */
const struct kg_probe_check *kg_probe_first_blocker(const struct kg_probe_report *report);

#endif /* KEYGATE_PROBE_H */
