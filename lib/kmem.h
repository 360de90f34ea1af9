/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * kmem.h - the kernel memory keygate's pinned state holds: every pinned
 * map's memlock figure (what the kernel charges for it, from
 * /proc/self/fdinfo), and for task and inode storage, which the kernel
 * cannot enumerate, the size of one element. 0 or -errno; no output.
 */
#ifndef KEYGATE_KMEM_H
#define KEYGATE_KMEM_H

#include <stddef.h>
#include <stdint.h>

#define KG_KMEM_MAPS_MAX 48
#define KG_KMEM_NAME_MAX 32

/* Bytes the kernel adds to each local storage element (its header), an
 * estimate for the kernels keygate supports. */
#define KG_LOCAL_STORAGE_ELEM_OVERHEAD 128

struct kg_kmem_map {
	char name[KG_KMEM_NAME_MAX]; /* pin name */
	const char *type;            /* libbpf's name of the map type */
	uint32_t id;
	uint32_t value_size;
	uint32_t max_entries;
	uint64_t memlock;            /* bytes, from fdinfo; 0 if the kernel gives none */
	uint64_t per_owner;          /* local storage: bytes per task or inode holding one */
	int owner;                   /* 0: none, 1: per task, 2: per inode */
};

struct kg_kmem {
	size_t n_maps;
	struct kg_kmem_map maps[KG_KMEM_MAPS_MAX];
	uint64_t memlock_total;  /* sum of the maps' memlock */
	uint64_t per_task_max;   /* every task storage element of one task */
	uint64_t per_inode_max;  /* every inode storage element of one inode */
	uint64_t tasks;          /* tasks alive now (/proc) */
};

/* Reads the maps pinned in DIR/maps. -ENOENT: nothing pinned. */
int kg_kmem_read(const char *dir, struct kg_kmem *out);

#endif /* KEYGATE_KMEM_H */
