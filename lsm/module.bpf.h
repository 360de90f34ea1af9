/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * module.bpf.h - the name of the module in a module_buffer image, read from
 * its ELF .gnu.linkonce.this_module section for the record
 * (included by keygate.bpf.c).
 */
#ifndef KEYGATE_MODULE_BPF_H
#define KEYGATE_MODULE_BPF_H

/* What a module_buffer record says about the module (task storage: the
 * hook is not sleepable, but may be preempted). */
struct kg_module_desc {
	char name[KG_MODULE_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kg_module_desc);
} kg_module_descs SEC(".maps");

#define ELF_SHDR_BYTES 64
#define KG_MAX_SECTIONS 1024
#define KG_MAX_MODULE_BYTES (1LL << 31)
#define THIS_MODULE_SECTION ".gnu.linkonce.this_module"
#define MODULE_SIG_MARKER "~Module signature appended~\n"
#define MODULE_SIG_MARKER_LEN 28

/* Elf64_Ehdr and the start of Elf64_Shdr, as far as they are read here. */
struct elf64_head {
	__u8 ident[16];
	__u16 type, machine;
	__u32 version;
	__u64 entry, phoff, shoff;
	__u32 flags;
	__u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_section {
	__u32 name, type;
	__u64 flags, addr, offset, size;
};

struct section_walk {
	const char *buf;
	__u64 size;
	__u64 shoff;
	__u64 names;      /* offset of the section name table */
	__u64 names_size;
	__u64 found;      /* offset of .gnu.linkonce.this_module, 0: none */
	__u64 found_size;
};

static long find_this_module(__u32 i, void *ctx)
{
	struct section_walk *w = ctx;
	char name[sizeof(THIS_MODULE_SECTION)];
	struct elf64_section sh;
	__u64 at = w->shoff + (__u64)i * ELF_SHDR_BYTES;

	if (at + sizeof(sh) > w->size || bpf_probe_read_kernel(&sh, sizeof(sh), w->buf + at))
		return 1;
	if ((__u64)sh.name + sizeof(name) > w->names_size ||
	    bpf_probe_read_kernel(name, sizeof(name), w->buf + w->names + sh.name))
		return 0;
	if (bpf_strncmp(name, sizeof(name), THIS_MODULE_SECTION))
		return 0;
	w->found = sh.offset;
	w->found_size = sh.size;
	return 1;
}

/*
 * Names the module in a buffer from its own struct module (the section
 * .gnu.linkonce.this_module, where the kernel itself takes the name from)
 * and notes an appended module signature. Only for the record: the kernel
 * checks the ELF itself later, and nothing here changes a decision.
 */
static __always_inline void describe_module(struct kg_decision *d, const char *buf, __s64 size)
{
	struct section_walk w = { .buf = buf, .size = size };
	char tail[MODULE_SIG_MARKER_LEN];
	struct elf64_section names;
	struct kg_module_desc *desc;
	struct elf64_head eh;
	__u64 name_at;

	if (size <= 0 || size > KG_MAX_MODULE_BYTES)
		return;
	if (size > MODULE_SIG_MARKER_LEN &&
	    !bpf_probe_read_kernel(tail, sizeof(tail), buf + size - MODULE_SIG_MARKER_LEN) &&
	    !bpf_strncmp(tail, sizeof(tail), MODULE_SIG_MARKER))
		d->flags |= KG_EVENT_MODULE_SIG;
	desc = bpf_task_storage_get(&kg_module_descs, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!desc)
		return;
	__builtin_memset(desc->name, 0, sizeof(desc->name));
	if (sizeof(eh) > (__u64)size || bpf_probe_read_kernel(&eh, sizeof(eh), buf))
		return;
	if (eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F' ||
	    eh.ident[4] != 2 /* ELFCLASS64 */ || eh.shentsize != ELF_SHDR_BYTES ||
	    eh.shstrndx >= eh.shnum || eh.shoff >= (__u64)size)
		return;
	w.shoff = eh.shoff;
	name_at = eh.shoff + (__u64)eh.shstrndx * ELF_SHDR_BYTES;
	if (name_at + sizeof(names) > (__u64)size ||
	    bpf_probe_read_kernel(&names, sizeof(names), buf + name_at))
		return;
	if (names.offset >= (__u64)size || names.size > (__u64)size - names.offset)
		return;
	w.names = names.offset;
	w.names_size = names.size;
	bpf_loop(eh.shnum < KG_MAX_SECTIONS ? eh.shnum : KG_MAX_SECTIONS, find_this_module, &w, 0);
	name_at = bpf_core_field_offset(struct module, name);
	if (!w.found || w.found >= (__u64)size || w.found_size < name_at + KG_MODULE_NAME_LEN ||
	    w.found_size > (__u64)size - w.found)
		return;
	if (bpf_probe_read_kernel(desc->name, sizeof(desc->name), buf + w.found + name_at))
		return;
	desc->name[KG_MODULE_NAME_LEN - 1] = 0;
	d->module = desc->name;
}

#endif /* KEYGATE_MODULE_BPF_H */
