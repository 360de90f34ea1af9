/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * kfuncs.bpf.h - the kernel functions (kfuncs) keygate calls and the
 * constants the minimal vmlinux.h lacks (included by keygate.bpf.c).
 */
#ifndef KEYGATE_KFUNCS_BPF_H
#define KEYGATE_KFUNCS_BPF_H

#define MAX_ERRNO 4095
#define KG_D_PATH_BYTES 4096 /* PATH_MAX: what bpf_d_path may produce */
#define FSVERITY_MAGIC_LEN 8
/* "FSVerity", le16 algorithm, le16 digest size: what `fsverity sign` signs */
#define FSVERITY_HEADER_LEN (FSVERITY_MAGIC_LEN + 4)
#define KG_RINGBUF_BYTES (1 << 20)
/* Not in the minimal vmlinux.h: a revoked or expired keyring still looks
 * up, and the verification then fails with these. */
#define EKEYEXPIRED 127
#define EKEYREVOKED 128
#define KG_ESTALE 116

struct mnt_idmap;

extern int bpf_get_fsverity_digest(struct file *file, struct bpf_dynptr *digest_p) __ksym;
extern int bpf_get_file_xattr(struct file *file, const char *name__str,
			      struct bpf_dynptr *value_p) __ksym;
extern int bpf_verify_pkcs7_signature(struct bpf_dynptr *data_p, struct bpf_dynptr *sig_p,
				      struct bpf_key *trusted_keyring) __ksym;
extern struct bpf_key *bpf_lookup_user_key(__u32 serial, __u64 flags) __ksym;
extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym;
extern void bpf_key_put(struct bpf_key *key) __ksym;

/* Turns an address kept as a number back into a read-only typed pointer
 * (loads through it are fault-safe). */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

#endif /* KEYGATE_KFUNCS_BPF_H */
