/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * keygate_abi.h - the one contract between keygate's BPF programs (lsm/) and
 * userspace (policy/, lib/, cli/). Map keys, map values and ring-buffer events,
 * fixed-width types only. The policy compiler emits exactly these structs;
 * the agent writes them into the maps unchanged (after resolving keyring
 * serials). Every shared size is asserted at the end of this file.
 *
 * Double buffering: every policy map is indexed by a slot (0 or 1). The
 * programs read the bss variable `active_generation` once per hook; its low
 * bit is the slot in force. A reload fills the other slot, then flips the
 * generation with one aligned 32-bit store, so every decision sees either
 * the whole old policy or the whole new one.
 */
#ifndef KEYGATE_ABI_H
#define KEYGATE_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define KG_ABI_VERSION 1

/* Map capacities, per slot. Changing one changes the ABI. The hash maps
 * are not preallocated: they cost what the policy in force holds, plus
 * their bucket arrays; the rules array costs KG_SLOTS * KG_MAX_RULES * 32
 * bytes (4 MiB). Powers of two: the programs mask indexes with them. */
#define KG_MAX_RULES 65536
#define KG_MAX_ANCHORS 64 /* rule anchor sets are a __u64 bit mask */
#define KG_MAX_PATHS 65536 /* distinct scopes in a compiled policy */
#define KG_MAX_SCOPE_DIRS 65536 /* scope directories and mount roots */
#define KG_MAX_SCOPE_FILES 65536 /* exact-file scopes */
#define KG_MAX_SCOPE_DEVS 1024  /* file systems holding a scope */
#define KG_MAX_REVOKED 4096
#define KG_SLOTS 2

/* Longest scope path in a policy, in bytes, without NUL. */
#define KG_PATH_MAX 255
#define KG_PATH_KEY_BYTES 256
/* Longest file name (NAME_MAX) of an exact-file scope, and its key bytes. */
#define KG_FILE_NAME_MAX 255
#define KG_FILE_NAME_BYTES 256
/* Directories the kernel walks up from a file looking for its scope. A
 * file nested deeper fails before its rule is known (fail_action). */
#define KG_SCOPE_DEPTH_MAX 1024
/* Longest path copied into an event (longer ones are truncated). */
#define KG_EVENT_PATH_MAX 512
#define KG_DIGEST_MAX 64 /* SHA-512 */
#define KG_SIG_MAX 4096 /* bytes of the signature xattr; larger is malformed */
#define KG_XATTR_NAME_MAX 64
#define KG_COMM_LEN 16
#define KG_MODULE_NAME_LEN 56 /* the kernel's MODULE_NAME_LEN on 64-bit */
#define KG_POLICY_DIGEST_LEN 32 /* SHA-256 of the compiled policy */
#define KG_DEV_FILTER_SHIFT 10
#define KG_DEV_FILTER_BITS (1u << KG_DEV_FILTER_SHIFT) /* kg_policy_config.dev_filter */

#define KG_DEFAULT_SIG_XATTR "user.keygate.sig"

#define KG_RULE_NONE 0xffffffffu
#define KG_ANCHOR_NONE 0xffffffffu

/*
 * What each failure does (the reason goes into the event; "action" is the
 * rule's on_failure: deny is -EPERM, audit logs and allows):
 *   failure                                  outcome
 *   file not fs-verity (not_verity)          action
 *   no signature xattr (no_signature)        action
 *   signature too long or unparsable         action (malformed_signature)
 *   signature rejected, signer unknown       next anchor; then action
 *   anchor keyring lookup fails              next anchor; then action
 *                                            (keyring_gone)
 *   digest revoked (revoked)                 action, whatever the signature
 *   signed rule, load from a buffer          action (no_file)
 *   signed rule, file on overlayfs           action (overlay)
 *   xattr read error, no scratch memory      action (internal_error, errno)
 *   scope walk deeper than
 *     KG_SCOPE_DEPTH_MAX, corrupt rule index kg_policy_config.fail_action[op]
 *                                            (internal_error), before any rule
 *   mprotect of a mapping made before the
 *     policy (no mprotect record)            fail_action[op] (internal_error,
 *                                            -ENODATA)
 *   kernel read/load id not known            deny, or audit in audit mode
 *                                            (unknown_read), when the policy
 *                                            covers that family
 *   ring buffer full                         decision unchanged;
 *                                            kg_counters.events_dropped++
 *   verdict cache full                       decision unchanged; re-verified
 *   kept scope result cannot be stored       decision unchanged; walked again
 *   no policy (active_generation 0)          everything allowed
 *   self-protection: not keygate's binary    -EPERM (self_protection)
 */

/* Operations a rule can cover. Bit (1u << op) in kg_rule.ops. */
enum kg_op {
	KG_OP_EXEC = 0,          /* bprm_check_security */
	KG_OP_MMAP_EXEC = 1,     /* mmap_file with PROT_EXEC */
	KG_OP_MPROTECT_EXEC = 2, /* file_mprotect adding PROT_EXEC */
	KG_OP_OPEN_READ = 3,     /* file_open for reading */
	KG_OP_MODULE_FILE = 4,   /* kernel_read_file READING_MODULE, READING_MODULE_COMPRESSED */
	KG_OP_MODULE_BUFFER = 5, /* kernel_post_load_data LOADING_MODULE (init_module) */
	KG_OP_FIRMWARE = 6,      /* kernel_read_file READING_FIRMWARE, kernel_load_data LOADING_FIRMWARE */
	KG_OP_KEXEC = 7,         /* kernel_read_file READING_KEXEC_IMAGE and
				  * READING_KEXEC_INITRAMFS, kernel_load_data LOADING_KEXEC_IMAGE */
	KG_OP_COUNT = 8,
	/* Self-protection (lsm/guard.bpf.h): attempts on keygate's own
	 * objects by a task that is not keygate. No rule covers them. */
	KG_OP_GUARD_MAP = 16,    /* bpf_map: an fd of one of keygate's maps */
	KG_OP_GUARD_LINK = 17,   /* bpf: BPF_LINK_DETACH/UPDATE of a keygate link */
	KG_OP_GUARD_PIN = 18,    /* inode_unlink/rename/rmdir in KG_PIN_DIR */
	KG_OP_GUARD_PTRACE = 19, /* ptrace_access_check on the agent (ptrace,
				  * /proc/PID/mem, pidfd_getfd) */
	KG_OP_GUARD_END = 20,
};

enum kg_requirement {
	KG_REQ_SIGNED = 1, /* fs-verity digest signed by one of the rule's anchors */
	KG_REQ_ALLOW = 2,
	KG_REQ_DENY = 3,
};

/* What happens when a rule's requirement is not met (mode already applied),
 * or, in kg_policy_config.fail_action, when a decision fails before its
 * rule is known. */
enum kg_failure_action {
	KG_FAIL_DENY = 1,  /* -EPERM, logged */
	KG_FAIL_AUDIT = 2, /* logged, allowed */
	KG_FAIL_ALLOW = 3, /* logged, allowed: only in fail_action, when every
			    * rule and default that could apply allows */
};

enum kg_mode {
	KG_MODE_ENFORCE = 1,
	KG_MODE_AUDIT = 2,
};

/* Outcome for an operation no rule covers. */
enum kg_default_action {
	KG_DEFAULT_ALLOW = 1,
	KG_DEFAULT_DENY = 2,
	KG_DEFAULT_AUDIT = 3, /* log and allow */
};

enum kg_anchor_kind {
	KG_ANCHOR_CERTS = 1,   /* certificate files; the agent owns the keyring */
	KG_ANCHOR_KEYRING = 2, /* existing keyring by serial or description */
	KG_ANCHOR_SYSTEM = 3,  /* bpf_lookup_system_key(id) */
};

/* bpf_lookup_system_key ids (kernel's VERIFY_USE_* values). */
enum kg_system_keyring {
	KG_SYSTEM_BUILTIN = 0,
	KG_SYSTEM_SECONDARY = 1,
	KG_SYSTEM_PLATFORM = 2,
};

enum kg_verdict {
	KG_VERDICT_ALLOW = 0,
	KG_VERDICT_DENY = 1,
	KG_VERDICT_AUDIT = 2, /* would have been denied; allowed by audit mode */
};

enum kg_reason {
	KG_REASON_ALLOWED_BY_RULE = 1,
	KG_REASON_DENIED_BY_RULE = 2,
	KG_REASON_VERIFIED = 3,
	KG_REASON_CACHE_HIT = 4,
	KG_REASON_NO_RULE = 5,           /* default action applied */
	KG_REASON_NOT_VERITY = 6,
	KG_REASON_NO_SIGNATURE = 7,
	KG_REASON_MALFORMED_SIGNATURE = 8,
	KG_REASON_BAD_SIGNATURE = 9,     /* EKEYREJECTED / EBADMSG on data */
	KG_REASON_UNKNOWN_SIGNER = 10,   /* ENOKEY: signer not in keyring */
	KG_REASON_KEYRING_GONE = 11,     /* key lookup failed */
	KG_REASON_REVOKED = 12,
	KG_REASON_NO_FILE = 13,          /* signature required, no file to verify */
	KG_REASON_INTERNAL_ERROR = 14,   /* xattr/path/storage error: fail closed */
	KG_REASON_UNKNOWN_READ = 15,     /* kernel read/load id keygate does not know */
	KG_REASON_OVERLAY = 16,          /* signature required, file on overlayfs */
	KG_REASON_SELF_PROTECTION = 17,  /* keygate's objects, not keygate: -EPERM */
	KG_REASON_COUNT = 18,
};

/* kg_rule.flags */
#define KG_RULE_LOG_ALLOWED (1u << 0) /* also log allowed decisions */

struct kg_rule {
	__u32 id;          /* index in policy order */
	__u32 ops;         /* mask of 1u << enum kg_op */
	__u32 requirement; /* enum kg_requirement */
	__u32 on_failure;  /* enum kg_failure_action */
	__u32 flags;       /* KG_RULE_* */
	__u32 src_line;    /* source line; file name lives in userspace */
	__u64 anchors;     /* bit i: anchor i may sign */
};

struct kg_anchor {
	__u32 kind;  /* enum kg_anchor_kind; 0 = unused slot */
	__u32 flags;
	__u64 id;    /* keyring serial (CERTS, KEYRING) or system id (SYSTEM) */
};

/* A scope of the compiled policy, as written (userspace only: the agent
 * binds it to file identities, see kg_scope_dir_key). Directory prefixes
 * end with '/', exact files do not; len 0 is the "everything" scope. Bytes
 * past len are zero. */
struct kg_path_key {
	__u32 slot;
	__u32 len;
	char path[KG_PATH_KEY_BYTES];
};

/* For one scope: the rule that decides each operation there, already
 * resolved by the compiler (most specific scope wins, then file order). */
struct kg_path_value {
	__u32 rule[KG_OP_COUNT]; /* KG_RULE_NONE: default action */
};

/*
 * How the kernel finds a file's scope (map kg_scope_dirs, kg_scope_files,
 * kg_scope_devs): never from a path, always from the file itself. The agent
 * binds every directory scope to the directory's identity (s_dev, i_ino:
 * dev in the kernel's encoding, MAJOR << 20 | MINOR, as in
 * /proc/self/mountinfo), every exact-file scope to its parent directory's
 * identity and its name, and the root directory of every mount whose mount
 * point lies inside a scope to that scope. The kernel walks from the file's
 * dentry up through d_parent within its superblock; the first directory
 * found is the most specific scope (values are already inherited). No
 * entry found: the "everything" scope (kg_policy_config.everything).
 */
struct kg_scope_dir_key {
	__u32 slot;
	__u32 reserved; /* 0 */
	__u64 dev;
	__u64 ino;
};

/* An exact-file scope: the name in its parent directory. name_hash is
 * kg_name_hash() of the name; the value holds the name, compared in full. */
struct kg_scope_file_key {
	__u32 slot;
	__u32 name_len;
	__u64 dev;
	__u64 dir_ino;
	__u64 name_hash;
};

struct kg_scope_file_value {
	struct kg_path_value value;
	char name[KG_FILE_NAME_BYTES]; /* bytes past name_len are zero */
};

/* Per-superblock filter: files on a file system with no entry have the
 * "everything" scope without any walk. */
struct kg_scope_dev_key {
	__u32 slot;
	__u32 reserved; /* 0 */
	__u64 dev;
};

/* kg_scope_dev value bits */
#define KG_DEV_HAS_DIRS (1u << 0)
#define KG_DEV_HAS_FILES (1u << 1)

/* FNV-1a over the name as little-endian 64-bit words, the last one padded
 * with zero bytes; both sides compute it word by word. */
#define KG_NAME_HASH_SEED 0xcbf29ce484222325ULL
#define KG_NAME_HASH_PRIME 0x100000001b3ULL

struct kg_revoked_key {
	__u32 slot;
	__u16 digest_algo; /* FS_VERITY_HASH_ALG_* */
	__u16 digest_size;
	__u8 digest[KG_DIGEST_MAX];
};

struct kg_policy_config {
	__u32 generation;     /* matches active_generation when in force */
	/* enum kg_mode: rules carry their own; this one decides a kernel
	 * read or load id keygate does not know (unknown_read). */
	__u32 mode;
	__u32 ops_covered;    /* union of rule ops: fast exit for the rest */
	__u32 n_rules;
	__u32 default_action[KG_OP_COUNT]; /* enum kg_default_action */
	/* enum kg_failure_action, per operation: the outcome when a decision
	 * fails before its rule is known (scope walk deeper than
	 * KG_SCOPE_DEPTH_MAX, a rule index outside the map, a mapping made
	 * before the policy with no mprotect record): the strictest outcome
	 * of every rule covering the operation and of its default action. */
	__u32 fail_action[KG_OP_COUNT];
	struct kg_path_value everything; /* the scope of files no entry covers */
	__u8 digest[KG_POLICY_DIGEST_LEN];
	/* The rule deciding a load with no file (kernel_load_data and, for
	 * init_module, kernel_post_load_data), per
	 * operation: the strictest rule covering the operation in any scope,
	 * since a buffer has no path to pick a scope by. KG_RULE_NONE: the
	 * default action (when it is stricter than every rule, or no rule
	 * covers the operation). */
	__u32 buffer_rule[KG_OP_COUNT];
	/* Bit kg_dev_filter_bit(dev) is set for every superblock with a scope
	 * (kg_scope_devs): a clear bit decides a file on any other file system
	 * without a hash lookup. Written by the agent with the slot. */
	__u64 dev_filter[KG_DEV_FILTER_BITS / 64];
};

/* Fibonacci hashing of a superblock's s_dev onto the filter's bits. */
static inline __u32 kg_dev_filter_bit(__u64 dev)
{
	return (__u32)((dev * 0x9E3779B97F4A7C15ULL) >> (64 - KG_DEV_FILTER_SHIFT)) &
	       (KG_DEV_FILTER_BITS - 1);
}

/*
 * A file's scope resolution (inode storage kg_scope_kept): the first scope
 * directory at or above the directory the file was decided in, as
 * find_rule's walk found it, on a file system backed by a device. Created
 * whole and never written after (a stale one is deleted and created anew),
 * so a reader sees one walk's result. Valid while generation is the one in
 * force, epoch equals dir_moves (bumped after every move of a directory on
 * such a file system: keygate_dir_moved, keygate_dir_exchanged), the file
 * has one link, and its dentry's parent is still that directory (the same
 * dentry, inode number and inode generation).
 */
struct kg_scope_result {
	__u64 epoch;
	__u64 parent;     /* the directory's dentry, as an address */
	__u64 parent_ino;
	__u32 parent_gen;
	__u32 generation;
	__u16 found;      /* 1: rule[] is that scope's; 0: no scope above */
	__u16 dev_flags;  /* the file system's KG_DEV_HAS_* in that policy */
	__u32 reserved;
	__u32 rule[KG_OP_COUNT];
};

/* Per-inode verdict cache (inode storage). Valid only while generation
 * equals active_generation and stamp equals kg_stamps[slot *
 * KG_MAX_ANCHORS + anchor] (the agent bumps that when the anchor's keyring
 * changes); cleared when the signature xattr changes. A hit counts only
 * for a caller that may read the file by its mode bits. */
struct kg_inode_verdict {
	__u32 generation;
	__u32 verified;   /* 1: signature verified by `anchor` */
	__u32 anchor;
	__u32 stamp;      /* kg_stamps entry read before the verification */
};

struct kg_event {
	__u64 time_boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 dev;          /* s_dev of the file's superblock */
	__u64 ino;
	__u32 generation;
	__u32 op;           /* enum kg_op */
	__u32 verdict;      /* enum kg_verdict */
	__u32 reason;       /* enum kg_reason */
	__u32 rule;         /* KG_RULE_NONE when no rule applied */
	__u32 anchor;       /* KG_ANCHOR_NONE unless verified/checked */
	__s32 error;        /* kernel error behind the reason, or 0 */
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u16 digest_algo;
	__u16 digest_size;
	__u32 path_len;     /* bytes in path, NUL excluded; may be truncated */
	__u8 digest[KG_DIGEST_MAX];
	char comm[KG_COMM_LEN];
	char path[KG_EVENT_PATH_MAX];
	/* kernel_read_file / kernel_load_data id as the running kernel
	 * numbers it (enum kernel_read_file_id or kernel_load_data_id) with
	 * reason KG_REASON_UNKNOWN_READ, else 0. */
	__u32 kernel_id;
	__u32 flags;        /* KG_EVENT_* */
	/* Module loaded from a buffer: the name in its own struct module
	 * (.gnu.linkonce.this_module), NUL-terminated; empty if not found. */
	char module[KG_MODULE_NAME_LEN];
};

/* kg_event.flags */
#define KG_EVENT_MODULE_SIG (1u << 0) /* module buffer ends in an appended module signature */

/* Counters, one copy per CPU (map kg_counters), summed by the agent. */
struct kg_counters {
	__u64 decisions[3];   /* by enum kg_verdict */
	__u64 events_dropped; /* ring buffer full */
	__u64 cache_hits;
	__u64 verifications;
	__u64 scope_hits;     /* a kept scope result decided (kg_scope_kept) */
	__u64 scope_kept;     /* a walk's result kept for its file */
};

/*
 * Pinned state (lsm/persist.bpf.h, agent/pin.c): keygate's maps and LSM
 * links live under KG_PIN_DIR, so enforcement outlives the agent:
 *   KG_PIN_DIR/state        the kg_agent_state map (one struct kg_agent_state)
 *   KG_PIN_DIR/maps/NAME    every map but read-only data
 *   KG_PIN_DIR/links/NAME   one BPF link per LSM program
 * A starting agent adopts the directory when kg_agent_state's `layout` equals
 * the one it computes from its own maps, else it attaches its own programs
 * and maps before releasing the old ones. `keygate stop` removes it.
 */
#define KG_PIN_DIR "/sys/fs/bpf/keygate"
#define KG_POLICY_NAME_MAX 64

/* Written by the agent only; the programs never read it. The first two
 * fields never move, whatever the ABI version. */
struct kg_agent_state {
	__u32 abi;          /* KG_ABI_VERSION of the agent that pinned the state */
	__u32 size;         /* sizeof(struct kg_agent_state) */
	__u64 layout;       /* hash of every pinned map's name, type and sizes */
	__u32 tgid;         /* enforcing agent; 0 when it exited */
	__u32 generation;   /* generation the agent applied last */
	__u64 start_time;   /* agent's start time (clock ticks since boot, /proc stat field 22) */
	__u64 heartbeat_ns; /* CLOCK_BOOTTIME of the agent's last event poll */
	__u64 applied_ns;   /* CLOCK_REALTIME when that generation took effect */
	__u64 pinned_ns;    /* CLOCK_REALTIME when the state was first pinned */
	__u64 policy_version;
	__u64 drops_reported; /* counters.events_dropped already reported by an agent */
	__u64 adoptions;    /* agents that took over this state */
	__u8 digest[KG_POLICY_DIGEST_LEN];
	char policy_name[KG_POLICY_NAME_MAX];
};

/*
 * Self-protection (lsm/guard.bpf.h). The agent asks to be guarded by
 * writing its tgid into request_tgid; the next bpf() call it makes arms
 * the guard, recording (in the programs, from the task itself) its tgid,
 * start time and executable inode. From then on only tasks running that
 * executable (the agent, `keygate stop`, `keygate status`, the next agent)
 * or `next_ino` (the binary that replaced it, recorded by an agent exiting
 * gracefully after an upgrade) may open keygate's maps, detach or update
 * its links, open, unlink or rename its pins; nobody but the agent's own
 * tasks may ptrace it. Denials are -EPERM with a KG_OP_GUARD_* event.
 */
struct kg_guard {
	__u32 request_tgid; /* written by the agent to arm */
	__u32 armed;        /* set by the programs */
	__u32 agent_tgid;
	__u32 reserved;
	__u64 agent_start_ns; /* task->group_leader->start_time */
	__u64 exe_dev;        /* kernel dev_t of the agent's executable */
	__u64 exe_ino;
	__u64 next_dev;
	__u64 next_ino;       /* 0: none */
};

/* kg_guard_inodes: pinned objects and directories under KG_PIN_DIR. */
struct kg_guarded_inode {
	__u64 dev; /* kernel dev_t: major << 20 | minor */
	__u64 ino;
};

enum kg_guarded_kind {
	KG_GUARDED_DIR = 1, /* KG_PIN_DIR and its subdirectories */
	KG_GUARDED_MAP = 2, /* a pinned map (opening it hits bpf_map) */
	KG_GUARDED_LINK = 3, /* a pinned link */
};

#define KG_GUARDED_MAX 128

/*
 * Signed policy (lsm/policy_verify.bpf.h, lib/policy_gate.c).
 *
 * The agent never decides on its own that a policy takes effect once a
 * policy-signing anchor is sealed. It writes a request into kg_policy_stage:
 * the signed part of the compiled policy (blob header and body, as
 * `keygate policy compile --signed-part` writes it), its detached PKCS#7
 * signature and the generation it filled the inactive slot for, then makes
 * a bpf() call. The sleepable program on the bpf hook, run by that call,
 * takes the request and answers in kg_policy_gate, a map userspace can only read
 * (BPF_F_RDONLY): it verifies the signature over the staged bytes against
 * the sealed keyring, reads version and digest from those verified bytes,
 * refuses a lower version than the one in force (the same version only
 * with the same digest) and only then makes the generation the one
 * decisions use. While sealed, decisions take their generation from
 * kg_policy_gate, never from active_generation. Sealing happens once per
 * pinned state: the first request names the keyring and the lowest version
 * acceptable (the floor the agent kept on disk); nothing unseals it but the
 * end of the pinned state (keygate stop, a reboot).
 */
#define KG_POLICY_HEADER_LEN 56 /* magic, format, ABI, body length, digest */
#define KG_POLICY_STAGE_BYTES (4u << 20) /* sizeof(struct kg_policy_stage) */
#define KG_POLICY_SIGNED_MAX (KG_POLICY_STAGE_BYTES - KG_SIG_MAX - 72)

enum kg_policy_request {
	KG_POLICY_REQ_NONE = 0,
	KG_POLICY_REQ_SEAL = 1, /* anchor_kind, anchor_id, floor_*; once */
	KG_POLICY_REQ_LOAD = 2, /* data, sig, generation */
};

/* kg_policy_gate.result: the outcome of the last request. */
enum kg_policy_result {
	KG_POLICY_NONE = 0,
	KG_POLICY_ACCEPTED = 1,       /* LOAD verified; generation in force */
	KG_POLICY_SEALED = 2,         /* SEAL done */
	KG_POLICY_ALREADY_SEALED = 3, /* SEAL on a sealed gate: nothing changed */
	KG_POLICY_NOT_SEALED = 4,     /* LOAD with no anchor sealed */
	KG_POLICY_MALFORMED = 5,      /* not a signed part of this ABI, or lengths out of bounds */
	KG_POLICY_BAD_SIGNATURE = 6,  /* EKEYREJECTED/EBADMSG/EINVAL...: not these bytes, or not PKCS#7 */
	KG_POLICY_UNKNOWN_SIGNER = 7, /* ENOKEY: the signer is not in the sealed keyring */
	KG_POLICY_KEYRING_GONE = 8,   /* the sealed keyring cannot be looked up */
	KG_POLICY_ROLLBACK = 9,       /* version lower than the one in force */
	KG_POLICY_SAME_VERSION = 10,  /* version in force, another digest */
	KG_POLICY_SLOT_MISMATCH = 11, /* the slot's config holds another digest or generation */
	KG_POLICY_RESULT_COUNT = 12,
};

struct kg_policy_stage {
	__u32 request;        /* enum kg_policy_request; the program clears it */
	__u32 generation;     /* LOAD: the generation the agent filled */
	__u32 len;            /* LOAD: bytes in data */
	__u32 sig_len;        /* LOAD: bytes in sig */
	__u32 anchor_kind;    /* SEAL: KG_ANCHOR_KEYRING or KG_ANCHOR_SYSTEM */
	__u32 tgid;           /* the requester: only its own bpf() calls answer */
	__u64 anchor_id;      /* SEAL: keyring serial or KG_SYSTEM_* id */
	__u64 floor_version;  /* SEAL: lowest version acceptable */
	__u8 floor_digest[KG_POLICY_DIGEST_LEN]; /* SEAL: digest of floor_version, or zero */
	__u8 sig[KG_SIG_MAX];
	__u8 data[KG_POLICY_SIGNED_MAX];
};

/* Written by the programs only (userspace maps it read-only). */
struct kg_policy_gate {
	__u32 sealed;         /* 1: only verified policies take effect */
	__u32 anchor_kind;
	__u64 anchor_id;
	__u32 generation;     /* the generation decisions use; 0: none yet */
	__u32 requests;       /* requests answered, for the agent to match */
	__u32 result;         /* enum kg_policy_result of the last request */
	__s32 error;          /* kernel error behind it, or 0 */
	__u64 version;        /* version in force, or the sealed floor */
	__u8 digest[KG_POLICY_DIGEST_LEN]; /* digest in force (zero: any for `version`) */
	__u64 last_version;   /* of the last LOAD, once its signature verified */
	__u8 last_digest[KG_POLICY_DIGEST_LEN];
};

/*
 * The layouts both sides rely on, checked when either side compiles (the
 * BPF object with clang, userspace with the C compiler).
 */
#define KG_OFFSETOF(type, field) __builtin_offsetof(type, field)
_Static_assert(sizeof(struct kg_rule) == 32, "kg_rule layout");
_Static_assert(sizeof(struct kg_anchor) == 16, "kg_anchor layout");
_Static_assert(sizeof(struct kg_path_key) == 8 + KG_PATH_KEY_BYTES, "kg_path_key layout");
_Static_assert(sizeof(struct kg_path_value) == 4 * KG_OP_COUNT, "kg_path_value layout");
_Static_assert(sizeof(struct kg_revoked_key) == 8 + KG_DIGEST_MAX, "kg_revoked_key layout");
_Static_assert(sizeof(struct kg_policy_config) ==
		       16 + 3 * 4 * KG_OP_COUNT + KG_POLICY_DIGEST_LEN + 4 * KG_OP_COUNT +
			       KG_DEV_FILTER_BITS / 8,
	       "kg_policy_config layout");
_Static_assert(sizeof(struct kg_inode_verdict) == 16, "kg_inode_verdict layout");
_Static_assert(sizeof(struct kg_scope_result) == 40 + 4 * KG_OP_COUNT, "kg_scope_result layout");
_Static_assert(sizeof(struct kg_scope_dir_key) == 24, "kg_scope_dir_key layout");
_Static_assert(sizeof(struct kg_scope_file_key) == 32, "kg_scope_file_key layout");
_Static_assert(sizeof(struct kg_scope_file_value) == 4 * KG_OP_COUNT + KG_FILE_NAME_BYTES,
	       "kg_scope_file_value layout");
_Static_assert(sizeof(struct kg_scope_dev_key) == 16, "kg_scope_dev_key layout");
_Static_assert(KG_FILE_NAME_MAX < KG_FILE_NAME_BYTES, "name keys keep a NUL");
_Static_assert(KG_OFFSETOF(struct kg_event, digest) % 8 == 0, "kg_event digest alignment");
_Static_assert(KG_OFFSETOF(struct kg_event, kernel_id) == KG_OFFSETOF(struct kg_event, path) + KG_EVENT_PATH_MAX,
	       "kg_event appended fields follow path");
_Static_assert(sizeof(struct kg_event) == KG_OFFSETOF(struct kg_event, module) + KG_MODULE_NAME_LEN,
	       "kg_event layout");
_Static_assert(KG_MAX_ANCHORS <= 64, "rule anchor sets are a 64-bit mask");
_Static_assert(KG_PATH_MAX < KG_PATH_KEY_BYTES, "path keys keep a NUL");
_Static_assert(sizeof(struct kg_agent_state) == 112 + KG_POLICY_NAME_MAX, "kg_agent_state layout");
_Static_assert(KG_OFFSETOF(struct kg_agent_state, layout) == 8, "kg_agent_state marker stays first");
_Static_assert(sizeof(struct kg_guard) == 56, "kg_guard layout");
_Static_assert(sizeof(struct kg_guarded_inode) == 16, "kg_guarded_inode layout");
_Static_assert(sizeof(struct kg_event) == 728, "kg_event layout");
_Static_assert(sizeof(struct kg_counters) == 8 * 8, "kg_counters layout");
_Static_assert(sizeof(struct kg_policy_stage) == KG_POLICY_STAGE_BYTES, "kg_policy_stage layout");
_Static_assert(KG_OFFSETOF(struct kg_policy_stage, sig) == 72, "kg_policy_stage header");
_Static_assert(sizeof(struct kg_policy_gate) == 112, "kg_policy_gate layout");

#endif /* KEYGATE_ABI_H */
