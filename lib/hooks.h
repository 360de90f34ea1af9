/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * hooks.h - which of keygate's LSM programs a policy needs attached. A
 * decision program runs only while the policy in force covers one of its
 * operations or gives one a default other than allow; every other program
 * (self-protection, verdict-cache invalidation) is always attached.
 */
#ifndef KEYGATE_HOOKS_H
#define KEYGATE_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "keygate_abi.h"

/* Operations (mask of 1u << enum kg_op) a policy decides anything about:
 * covered by a rule, or with a default action that is not allow. */
uint32_t kg_hooks_ops_needed(const struct kg_policy_config *config);
/* Whether program PROG (its name in lsm/keygate.bpf.c) attaches only on
 * demand; *ops: the operations it decides. */
bool kg_hook_is_conditional(const char *prog, uint32_t *ops);
/* Whether PROG must be attached while CONFIG is in force (NULL: no policy). */
bool kg_hook_needed(const char *prog, const struct kg_policy_config *config);

#endif /* KEYGATE_HOOKS_H */
