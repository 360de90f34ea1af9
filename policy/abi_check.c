// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* abi_check.c - the struct layouts the BPF programs rely on, checked at build time. */
#include <stddef.h>

#include "keygate_abi.h"

_Static_assert(sizeof(struct kg_rule) == 32, "kg_rule layout");
_Static_assert(sizeof(struct kg_anchor) == 16, "kg_anchor layout");
_Static_assert(sizeof(struct kg_path_key) == 8 + KG_PATH_KEY_BYTES, "kg_path_key layout");
_Static_assert(sizeof(struct kg_path_value) == 4 * KG_OP_COUNT, "kg_path_value layout");
_Static_assert(sizeof(struct kg_revoked_key) == 8 + KG_DIGEST_MAX, "kg_revoked_key layout");
_Static_assert(sizeof(struct kg_policy_config) ==
		       16 + 3 * 4 * KG_OP_COUNT + KG_POLICY_DIGEST_LEN + 4 * KG_OP_COUNT,
	       "kg_policy_config layout");
_Static_assert(sizeof(struct kg_inode_verdict) == 16, "kg_inode_verdict layout");
_Static_assert(sizeof(struct kg_scope_dir_key) == 24, "kg_scope_dir_key layout");
_Static_assert(sizeof(struct kg_scope_file_key) == 32, "kg_scope_file_key layout");
_Static_assert(sizeof(struct kg_scope_file_value) == 4 * KG_OP_COUNT + KG_FILE_NAME_BYTES,
	       "kg_scope_file_value layout");
_Static_assert(sizeof(struct kg_scope_dev_key) == 16, "kg_scope_dev_key layout");
_Static_assert(KG_FILE_NAME_MAX < KG_FILE_NAME_BYTES, "name keys keep a NUL");
_Static_assert(offsetof(struct kg_event, digest) % 8 == 0, "kg_event digest alignment");
_Static_assert(offsetof(struct kg_event, kernel_id) == offsetof(struct kg_event, path) + KG_EVENT_PATH_MAX,
	       "kg_event appended fields follow path");
_Static_assert(sizeof(struct kg_event) == offsetof(struct kg_event, module) + KG_MODULE_NAME_LEN,
	       "kg_event layout");
_Static_assert(KG_MAX_ANCHORS <= 64, "rule anchor sets are a 64-bit mask");
_Static_assert(KG_PATH_MAX < KG_PATH_KEY_BYTES, "path keys keep a NUL");
_Static_assert(sizeof(struct kg_agent_state) == 112 + KG_POLICY_NAME_MAX, "kg_agent_state layout");
_Static_assert(offsetof(struct kg_agent_state, layout) == 8, "kg_agent_state marker stays first");
_Static_assert(sizeof(struct kg_guard) == 56, "kg_guard layout");
_Static_assert(sizeof(struct kg_guarded_inode) == 16, "kg_guarded_inode layout");
