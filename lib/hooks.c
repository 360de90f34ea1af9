// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * hooks.c - the operations each decision program decides, as the programs
 * in lsm/keygate.bpf.c read them: a program whose operations the policy
 * neither covers nor defaults to deny or audit returns 0 at once, so it is
 * left detached and costs nothing.
 */
#include <string.h>

#include "hooks.h"

#define OP(op) (1u << (op))
/* A kernel read or load of unknown purpose fails closed when the policy
 * covers any of these (keygate.bpf.c, unknown_load). */
#define KERNEL_LOAD_OPS \
	(OP(KG_OP_MODULE_FILE) | OP(KG_OP_MODULE_BUFFER) | OP(KG_OP_FIRMWARE) | OP(KG_OP_KEXEC))

static const struct {
	const char *prog;
	uint32_t ops;
} conditional[] = {
	{ "keygate_bprm_check_security", OP(KG_OP_EXEC) },
	/* mmap_exec, and mprotect_exec decided in advance at mmap time */
	{ "keygate_mmap_file", OP(KG_OP_MMAP_EXEC) | OP(KG_OP_MPROTECT_EXEC) },
	{ "keygate_file_mprotect", OP(KG_OP_MPROTECT_EXEC) },
	{ "keygate_file_open", OP(KG_OP_OPEN_READ) },
	{ "keygate_kernel_read_file", KERNEL_LOAD_OPS },
	{ "keygate_kernel_load_data", KERNEL_LOAD_OPS },
	{ "keygate_kernel_post_load_data", OP(KG_OP_MODULE_BUFFER) },
};

uint32_t kg_hooks_ops_needed(const struct kg_policy_config *config)
{
	uint32_t ops = config->ops_covered;

	for (int op = 0; op < KG_OP_COUNT; op++)
		if (config->default_action[op] != KG_DEFAULT_ALLOW)
			ops |= OP(op);
	return ops;
}

bool kg_hook_is_conditional(const char *prog, uint32_t *ops)
{
	for (size_t i = 0; i < sizeof(conditional) / sizeof(conditional[0]); i++) {
		if (strcmp(conditional[i].prog, prog) == 0) {
			if (ops)
				*ops = conditional[i].ops;
			return true;
		}
	}
	return false;
}

bool kg_hook_needed(const char *prog, const struct kg_policy_config *config)
{
	uint32_t ops;

	if (!kg_hook_is_conditional(prog, &ops))
		return true;
	return config && (kg_hooks_ops_needed(config) & ops);
}
