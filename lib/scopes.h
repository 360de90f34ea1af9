/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * scopes.h - a compiled policy's path scopes bound to file identities, the
 * form the BPF programs match (keygate_abi.h, kg_scope_dir_key): each
 * directory scope becomes (s_dev, i_ino) of that directory, each exact-file
 * scope (parent directory, name), and the root directory of every mount in
 * the agent's mount namespace whose mount point lies inside a scope
 * inherits that scope. Paths are resolved in the agent's own mount
 * namespace and root.
 */
#ifndef KEYGATE_SCOPES_H
#define KEYGATE_SCOPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keygate_abi.h"
#include "keygate_policy.h"

struct kg_scope_dir {
	uint64_t dev; /* kernel encoding: MAJOR << 20 | MINOR */
	uint64_t ino;
	struct kg_path_value value;
};

struct kg_scope_file {
	uint64_t dev;
	uint64_t dir_ino;
	uint32_t name_len;
	uint32_t reserved;
	char name[KG_FILE_NAME_BYTES];
	struct kg_path_value value;
};

struct kg_scope_dev {
	uint64_t dev;
	uint32_t flags; /* KG_DEV_HAS_* */
	uint32_t reserved;
};

struct kg_scope_set {
	struct kg_scope_dir *dirs; /* sorted by (dev, ino), unique */
	size_t n_dirs;
	struct kg_scope_file *files; /* sorted by (dev, dir_ino, name), unique */
	size_t n_files;
	struct kg_scope_dev *devs; /* sorted by dev, unique */
	size_t n_devs;
	size_t n_mount_roots;  /* dirs added for mounts inside a scope */
	size_t n_unresolved;   /* scopes whose directory does not exist (yet) */
	char *first_unresolved; /* one of them, for messages */
};

/*
 * Resolves every scope of the policy and every mount of
 * /proc/self/mountinfo. A scope whose directory does not exist is counted
 * in n_unresolved and left out (its enclosing scope applies until a later
 * resolve finds it). When two entries bind the same identity, each
 * operation takes the stricter rule (deny, then signed, then allow; enforce
 * before audit). Returns 0 or -errno (-ENOMEM, or reading mountinfo).
 */
int kg_scopes_resolve(const struct kg_compiled_policy *policy, struct kg_scope_set *out);
bool kg_scopes_equal(const struct kg_scope_set *a, const struct kg_scope_set *b);
void kg_scopes_free(struct kg_scope_set *set);

/* kg_scope_file_key.name_hash of a name (keygate_abi.h). */
uint64_t kg_name_hash(const char *name, size_t len);

#endif /* KEYGATE_SCOPES_H */
