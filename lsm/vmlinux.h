/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * vmlinux.h - the few kernel types keygate's BPF programs touch, hand-kept
 * and relocatable (CO-RE): every record is preserve_access_index, so only
 * field names matter and libbpf relocates offsets against the running
 * kernel's BTF at load time. This keeps the build independent of the build
 * machine's kernel (see README, "Kernel types").
 */
#ifndef KEYGATE_VMLINUX_H
#define KEYGATE_VMLINUX_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef __u32 dev_t;
typedef __u16 umode_t;
typedef __u32 fmode_t;
typedef int pid_t;
typedef long long loff_t;
typedef __u32 uid_t;

/* UAPI values used by map definitions and helpers. */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_INODE_STORAGE = 28,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};
enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_NO_PREALLOC = 1,
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
	BPF_F_MMAPABLE = 1024,
	BPF_F_RDONLY_PROG = 128,
};

struct bpf_dynptr {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct bpf_spin_lock {
	__u32 val;
};

/* Opaque to programs, but a complete struct: libbpf's extern kfunc check
 * rejects a forward declaration against the kernel's struct bpf_key. */
struct bpf_key {
	void *key;
	bool has_ref;
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct file_system_type {
	int fs_flags;
};

struct super_block {
	dev_t s_dev;
	unsigned long s_magic;
	struct file_system_type *s_type;
};

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	__u32 val;
} kgid_t;

struct inode {
	umode_t i_mode;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned int i_nlink;
	struct super_block *i_sb;
	unsigned long i_ino;
	__u32 i_generation;
};

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct vfsmount;
struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	fmode_t f_mode;
	unsigned int f_flags;
	void *private_data;
};

struct linux_binprm {
	struct file *file;
};

struct vm_area_struct {
	unsigned long vm_flags;
	struct file *vm_file;
};

struct fs_struct {
	struct path root;
};

struct mm_struct {
	struct file *exe_file;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct bpf_link {
	__u32 id;
};

struct user_namespace {
	int level;
};

/* kernel_cap_t is one u64 since 6.3. */
typedef struct {
	__u64 val;
} kernel_cap_t;

struct cred {
	kuid_t fsuid;
	kgid_t fsgid;
	kernel_cap_t cap_effective;
	struct user_namespace *user_ns;
};

struct task_struct {
	pid_t pid;
	pid_t tgid;
	struct fs_struct *fs;
	__u64 start_time;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	struct files_struct *files;
	const struct cred *cred;
};

/* Only for the offset of name (bpf_core_field_offset). */
struct module {
	char name[56];
};

struct bpf_map {
	__u32 id;
};

union bpf_attr;

#pragma clang attribute pop

/* include/linux/kernel_read_file.h; read with bpf_core_enum_value(), so
 * the numbers here do not matter. READING_MODULE_COMPRESSED exists on newer
 * kernels only: test it with bpf_core_enum_value_exists(). */
enum kernel_read_file_id {
	READING_UNKNOWN = 0,
	READING_FIRMWARE = 1,
	READING_MODULE = 2,
	READING_KEXEC_IMAGE = 3,
	READING_KEXEC_INITRAMFS = 4,
	READING_POLICY = 5,
	READING_X509_CERTIFICATE = 6,
	READING_MAX_ID = 7,
	READING_MODULE_COMPRESSED = 8,
};

enum kernel_load_data_id {
	LOADING_UNKNOWN = 0,
	LOADING_FIRMWARE = 1,
	LOADING_MODULE = 2,
	LOADING_KEXEC_IMAGE = 3,
	LOADING_KEXEC_INITRAMFS = 4,
	LOADING_POLICY = 5,
	LOADING_X509_CERTIFICATE = 6,
	LOADING_MAX_ID = 7,
	LOADING_MODULE_COMPRESSED = 8, /* newer kernels only */
};

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define PROT_EXEC 0x4
#define S_IFMT 00170000
#define S_IFREG 0100000
#define S_IRUSR 00400
#define S_IRGRP 00040
#define S_IROTH 00004
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define ELOOP 40
#define VM_EXEC 0x4
#define FMODE_READ 0x1
#define FMODE_EXEC 0x20
/* execve's open flag __FMODE_EXEC in f_flags: 040000000 before 7.x, the
 * FMODE_EXEC bit since (asm-generic values, as on x86 and arm64). */
#define FMODE_EXEC_OPEN_FLAGS (040000000 | 0x20)
#define EPERM 1
#define ENOENT 2
#define ENOMEM 12
#define EINVAL 22
#define ERANGE 34
#define ENODATA 61
#define ENAMETOOLONG 36
#define EBADMSG 74
#define EOPNOTSUPP 95
#define ENOKEY 126
#define EKEYREJECTED 129

#endif /* KEYGATE_VMLINUX_H */
