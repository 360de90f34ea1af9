// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * probe.c - asks the running kernel, one named check at a time, whether it
 * has what keygate needs. Each check records how it was determined, so a
 * failure names the missing piece instead of a libbpf hint.
 *
 * One file: each check is a short function adding to one report through
 * add_check/set_result, and kg_probe_run lists them in the order a reader
 * asks (LSM list, BTF, a trial load, kfuncs, keyrings, fs-verity, modules,
 * then the optional features); apart, the checks would share those
 * helpers and the trial-load skeleton through a header, and the list
 * would lose its one place.
 */
#include "probe.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <keyutils.h>
#include <zlib.h>

/* Matches lsm/probe.bpf.c; the skeleton's bss refers to it by name. */
struct keyring_lookup_args {
	__u32 serial;
	__u32 system_id;
};

#include "probe.skel.h"

#define LSM_LIST_PATH "/sys/kernel/security/lsm"
#define SECURITYFS_DIR "/sys/kernel/security"
#define VMLINUX_BTF_PATH "/sys/kernel/btf/vmlinux"
#define PROC_CONFIG_PATH "/proc/config.gz"
#define KALLSYMS_PATH "/proc/kallsyms"

/* keygate's programs call every one of these: without one they do not
 * load, whatever the policy. */
struct kfunc_need {
	const char *name;
	const char *since; /* the Linux release that added it */
};

static const struct kfunc_need kfuncs[] = {
	{ "bpf_lookup_user_key", "6.1" },
	{ "bpf_lookup_system_key", "6.1" },
	{ "bpf_key_put", "6.1" },
	{ "bpf_verify_pkcs7_signature", "6.1" },
	{ "bpf_get_file_xattr", "6.8" },
	{ "bpf_get_fsverity_digest", "6.8" },
	{ "bpf_rdonly_cast", "6.2" }, /* the scope walk */
};

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	kg_logv(KG_LOG_DEBUG, fmt, ap);
	return 0;
}

static struct kg_probe_check *add_check(struct kg_probe_report *r, const char *name,
					bool required)
{
	struct kg_probe_check *c = &r->checks[r->count++];

	c->name = name;
	c->required = required;
	return c;
}

static void set_result(struct kg_probe_check *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_result(struct kg_probe_check *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		err = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return err;
}

static bool list_has_token(const char *list, const char *token)
{
	size_t len = strlen(token);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",\n");

		if (n == len && strncmp(p, token, len) == 0)
			return true;
		p += n;
		p += strspn(p, ",\n");
	}
	return false;
}

static void check_lsm_list(struct kg_probe_report *r)
{
	struct kg_probe_check *c = add_check(r, "bpf-lsm", true);
	char list[512];
	int err;

	err = read_small_file(LSM_LIST_PATH, list, sizeof(list));
	/* Where securityfs is not mounted (a chroot, a minimal container),
	 * mount it for the one read and leave the system as it was. */
	if (err == -ENOENT && mount("securityfs", SECURITYFS_DIR, "securityfs", 0, NULL) == 0) {
		err = read_small_file(LSM_LIST_PATH, list, sizeof(list));
		if (umount2(SECURITYFS_DIR, MNT_DETACH) != 0)
			kg_log_warning("probe: unmounting the securityfs it mounted on %s failed: %s",
				    SECURITYFS_DIR, strerror(errno));
	}
	if (err) {
		set_result(c, false, "cannot read %s: %s", LSM_LIST_PATH, strerror(-err));
		return;
	}
	list[strcspn(list, "\n")] = '\0';
	if (list_has_token(list, "bpf"))
		set_result(c, true, "\"bpf\" is in the active LSM list (%s)", list);
	else
		set_result(c, false,
			   "\"bpf\" is not in the active LSM list (%s); boot with lsm=...,bpf",
			   list);
}

static void check_btf(struct kg_probe_report *r)
{
	struct kg_probe_check *c = add_check(r, "btf", true);

	if (access(VMLINUX_BTF_PATH, R_OK) == 0)
		set_result(c, true, "%s is readable", VMLINUX_BTF_PATH);
	else
		set_result(c, false, "%s: %s (kernel built without CONFIG_DEBUG_INFO_BTF?)",
			   VMLINUX_BTF_PATH, strerror(errno));
}

/* Opens the probe object and loads only the program named prog_name. */
static int probe_load_only(struct probe_bpf **out, const char *prog_name)
{
	struct bpf_program *prog;
	struct probe_bpf *skel;
	int err;

	skel = probe_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog), prog_name) == 0);
	err = probe_bpf__load(skel);
	if (err) {
		probe_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* Loads and attaches probe_file_open, then opens a file to see it run. */
static void check_lsm_load(struct kg_probe_report *r)
{
	struct kg_probe_check *c = add_check(r, "lsm-load", true);
	struct bpf_link *link = NULL;
	struct probe_bpf *skel = NULL;
	int err, fd;

	if (geteuid() != 0) {
		set_result(c, false, "not checked: loading a BPF LSM program needs root");
		return;
	}
	err = probe_load_only(&skel, "probe_file_open");
	if (err == -EPERM) {
		set_result(c, false, "the kernel refused BPF_PROG_LOAD of an LSM program (EPERM): "
				     "BPF LSM programs cannot be loaded on this kernel");
		return;
	}
	if (err == -ESRCH) {
		set_result(c, false, "the kernel's BTF has no LSM hook named by probe_file_open's "
				     "section (ESRCH)");
		return;
	}
	if (err) {
		set_result(c, false, "BPF_PROG_LOAD of probe_file_open failed: %s "
				     "(keygate -d probe shows the verifier log)", strerror(-err));
		return;
	}
	link = bpf_program__attach_lsm(skel->progs.probe_file_open);
	if (!link) {
		set_result(c, false, "attaching probe_file_open to file_open failed: %s",
			   strerror(errno));
		goto out;
	}
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if (skel->bss->file_open_calls == 0)
		set_result(c, false, "probe_file_open attached to file_open but never ran");
	else
		set_result(c, true, "lsm.s/file_open program loaded, attached and ran");
out:
	bpf_link__destroy(link);
	probe_bpf__destroy(skel);
}

enum kconfig_state {
	KCONFIG_UNKNOWN, /* no readable kernel config */
	KCONFIG_SET,     /* =y or =m */
	KCONFIG_UNSET,   /* "is not set", or absent (its dependencies are off) */
};

/*
 * Looks option up in the running kernel's config: /proc/config.gz, else
 * /boot/config-$(uname -r). gzread also reads the plain /boot file. source
 * receives the file it came from.
 */
static enum kconfig_state kernel_config_option(const char *option, char *source,
					       size_t source_size)
{
	enum kconfig_state state = KCONFIG_UNSET;
	size_t len = strlen(option);
	bool is_config = false;
	struct utsname uts;
	char line[512];
	gzFile gz;

	snprintf(source, source_size, "%s", PROC_CONFIG_PATH);
	gz = gzopen(source, "rb");
	if (!gz && uname(&uts) == 0) {
		snprintf(source, source_size, "/boot/config-%s", uts.release);
		gz = gzopen(source, "rb");
	}
	if (!gz)
		return KCONFIG_UNKNOWN;
	while (gzgets(gz, line, sizeof(line))) {
		/* An empty or foreign file proves nothing about the option. */
		is_config |= strncmp(line, "CONFIG_", 7) == 0;
		if (strncmp(line, option, len) == 0 && line[len] == '=') {
			if (line[len + 1] == 'y' || line[len + 1] == 'm')
				state = KCONFIG_SET;
			break;
		}
	}
	gzclose(gz);
	return is_config ? state : KCONFIG_UNKNOWN;
}

/*
 * Whether /proc/kallsyms names symbol (addresses may be hidden as zeros by
 * kptr_restrict; names stay visible). -errno when kallsyms is unreadable.
 */
static int kallsyms_has(const char *symbol, bool *found)
{
	char line[512], name[256];
	FILE *f;

	f = fopen(KALLSYMS_PATH, "re");
	if (!f)
		return -errno;
	*found = false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %255s", name) == 1 && strcmp(name, symbol) == 0) {
			*found = true;
			break;
		}
	}
	fclose(f);
	return 0;
}

/*
 * bpf_verify_pkcs7_signature is in BTF whenever keys and BPF are built, but
 * without CONFIG_SYSTEM_DATA_VERIFICATION the kernel's verify_pkcs7_signature()
 * is an inline stub returning -EOPNOTSUPP: the kfunc then verifies nothing.
 */
static void check_pkcs7_backend(struct kg_probe_check *c, const struct btf *vmlinux)
{
	static const char option[] = "CONFIG_SYSTEM_DATA_VERIFICATION";
	static const char stub[] = "bpf_verify_pkcs7_signature is a stub";
	bool found = false;
	char source[300];
	int err;

	switch (kernel_config_option(option, source, sizeof(source))) {
	case KCONFIG_SET:
		set_result(c, true, "present in vmlinux BTF; %s=y (kernel config %s)", option,
			   source);
		return;
	case KCONFIG_UNSET:
		set_result(c, false, "%s is not set in this kernel: %s (kernel config %s)", option,
			   stub, source);
		return;
	case KCONFIG_UNKNOWN:
		break;
	}
	/* The real function, not the inline stub, is in BTF like any other
	 * global function; BTF stays readable where kallsyms is hidden (the
	 * packaged unit's ProtectKernelTunables=). */
	if (btf__find_by_name_kind(vmlinux, "verify_pkcs7_signature", BTF_KIND_FUNC) >= 0) {
		set_result(c, true, "present in vmlinux BTF; its backend verify_pkcs7_signature "
				    "is in vmlinux BTF (no kernel config readable)");
		return;
	}
	err = kallsyms_has("verify_pkcs7_signature", &found);
	if (err)
		set_result(c, false, "in vmlinux BTF, but whether %s is set cannot be told: no "
				     "kernel config and %s unreadable: %s", option, KALLSYMS_PATH,
			   strerror(-err));
	else if (found)
		set_result(c, true, "present in vmlinux BTF; its backend verify_pkcs7_signature "
				    "is in %s (no kernel config readable)", KALLSYMS_PATH);
	else
		set_result(c, false, "%s is not set in this kernel: %s (no verify_pkcs7_signature "
				     "in %s)", option, stub, KALLSYMS_PATH);
}

static void check_kfuncs(struct kg_probe_report *r, const struct btf *vmlinux, int btf_err)
{
	static char names[sizeof(kfuncs) / sizeof(kfuncs[0])][48];

	for (size_t i = 0; i < sizeof(kfuncs) / sizeof(kfuncs[0]); i++) {
		struct kg_probe_check *c;

		snprintf(names[i], sizeof(names[i]), "kfunc:%s", kfuncs[i].name);
		c = add_check(r, names[i], true);
		if (!vmlinux)
			set_result(c, false, "vmlinux BTF unreadable: %s", strerror(-btf_err));
		else if (btf__find_by_name_kind(vmlinux, kfuncs[i].name, BTF_KIND_FUNC) < 0)
			set_result(c, false, "not in vmlinux BTF: this kernel does not provide it "
					     "(Linux %s added it)", kfuncs[i].since);
		else if (strcmp(kfuncs[i].name, "bpf_verify_pkcs7_signature") == 0)
			check_pkcs7_backend(c, vmlinux);
		else
			set_result(c, true, "present in vmlinux BTF");
	}
}

static int keyring_lookup_syscall(const struct keyring_lookup_args *args,
				  struct kg_keyring_lookup *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(*args));
	struct probe_bpf *skel;
	int err;

	err = probe_load_only(&skel, "probe_keyring_lookup");
	if (err)
		return err;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.probe_keyring_lookup), &opts);
	if (err) {
		err = -errno;
		goto out;
	}
	res->found = skel->data->lookup_found;
	res->keys_put = skel->bss->keys_put;
	res->via = "syscall program";
out:
	probe_bpf__destroy(skel);
	return err;
}

static int keyring_lookup_lsm(const struct keyring_lookup_args *args,
			      struct kg_keyring_lookup *res)
{
	struct bpf_link *link = NULL;
	struct probe_bpf *skel;
	int err, fd;

	err = probe_load_only(&skel, "probe_keyring_lookup_on_open");
	if (err)
		return err;
	skel->bss->lookup_request.serial = args->serial;
	skel->bss->lookup_request.system_id = args->system_id;
	skel->bss->lookup_tgid = (__u32)getpid();
	link = bpf_program__attach_lsm(skel->progs.probe_keyring_lookup_on_open);
	if (!link) {
		err = -errno;
		goto out;
	}
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	res->found = skel->data->lookup_found;
	res->keys_put = skel->bss->keys_put;
	res->via = "lsm.s/file_open program";
out:
	bpf_link__destroy(link);
	probe_bpf__destroy(skel);
	return err;
}

int kg_probe_keyring_lookup(uint32_t serial, uint32_t system_id, struct kg_keyring_lookup *res)
{
	struct keyring_lookup_args args = { .serial = serial, .system_id = system_id };
	int err;

	err = keyring_lookup_syscall(&args, res);
	/* EACCES: "calling kernel function ... is not allowed" in syscall programs. */
	if (err == -EACCES || err == -EINVAL)
		err = keyring_lookup_lsm(&args, res);
	return err;
}

/* Runs probe_keyring_lookup against a keyring created here, by its serial. */
static void check_keyring_lookup(struct kg_probe_report *r, const struct btf *vmlinux)
{
	struct kg_probe_check *c = add_check(r, "keyring-lookup", false);
	struct kg_keyring_lookup res = { .found = -1 };
	key_serial_t ring;
	int err;

	if (!vmlinux || btf__find_by_name_kind(vmlinux, "bpf_lookup_user_key", BTF_KIND_FUNC) < 0 ||
	    btf__find_by_name_kind(vmlinux, "bpf_key_put", BTF_KIND_FUNC) < 0) {
		set_result(c, false, "not checked: the key lookup kfuncs are missing");
		return;
	}
	if (geteuid() != 0) {
		set_result(c, false, "not checked: loading a BPF program needs root");
		return;
	}
	ring = add_key("keyring", "keygate-probe", NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0) {
		set_result(c, false, "cannot create a test keyring: %s", strerror(errno));
		return;
	}
	err = kg_probe_keyring_lookup((uint32_t)ring, 0, &res);
	if (err)
		set_result(c, false, "loading or running the key lookup program failed: %s",
			   strerror(-err));
	else if (res.found != 1 || res.keys_put != 1)
		set_result(c, false, "bpf_lookup_user_key(%d) found=%d, bpf_key_put calls=%llu",
			   ring, res.found, (unsigned long long)res.keys_put);
	else
		set_result(c, true, "the %s looked up keyring %d by serial and released it",
			   res.via, ring);
	keyctl_invalidate(ring);
}

static void check_fsverity(struct kg_probe_report *r, const struct btf *vmlinux)
{
	struct kg_probe_check *c = add_check(r, "fs-verity", false);
	bool ext4 = access("/sys/fs/ext4/features/verity", F_OK) == 0;
	const char *ext4_state = ext4 ? "present" : "not advertised";
	char source[300];

	switch (kernel_config_option("CONFIG_FS_VERITY", source, sizeof(source))) {
	case KCONFIG_SET:
		set_result(c, true, "CONFIG_FS_VERITY=y (kernel config %s); ext4 verity feature %s",
			   source, ext4_state);
		return;
	case KCONFIG_UNSET:
		set_result(c, false, "CONFIG_FS_VERITY is not set in this kernel (kernel config %s)",
			   source);
		return;
	case KCONFIG_UNKNOWN:
		break;
	}
	if (!vmlinux)
		set_result(c, false, "not checked: no kernel config and vmlinux BTF unreadable");
	else if (btf__find_by_name_kind(vmlinux, "fsverity_ioctl_enable", BTF_KIND_FUNC) < 0)
		set_result(c, false, "CONFIG_FS_VERITY is not set in this kernel "
				     "(no fsverity_ioctl_enable in vmlinux BTF)");
	else
		set_result(c, true, "CONFIG_FS_VERITY (fsverity_ioctl_enable in vmlinux BTF); "
				    "ext4 verity feature %s", ext4_state);
}

static void check_modules(struct kg_probe_report *r)
{
	struct kg_probe_check *c = add_check(r, "modules", false);
	char disabled[16];
	int err;

	if (access("/proc/modules", F_OK) != 0) {
		set_result(c, false, "kernel built without CONFIG_MODULES (no /proc/modules)");
		return;
	}
	err = read_small_file("/proc/sys/kernel/modules_disabled", disabled, sizeof(disabled));
	if (err)
		set_result(c, false, "cannot read /proc/sys/kernel/modules_disabled: %s",
			   strerror(-err));
	else if (disabled[0] != '0')
		set_result(c, false, "module loading is disabled (kernel.modules_disabled=1)");
	else
		set_result(c, true, "/proc/modules present, kernel.modules_disabled=0");
}

static struct kg_probe_check *add_feature(struct kg_probe_report *r, const char *name)
{
	struct kg_probe_check *c = add_check(r, name, false);

	c->feature = true;
	return c;
}

/* finit_module(MODULE_INIT_COMPRESSED_FILE) hands the compressed file to
 * kernel_read_file with this id; kernels without it decompress in kmod. */
static void check_compressed_module_reads(struct kg_probe_report *r, const struct btf *vmlinux)
{
	struct kg_probe_check *c = add_feature(r, "module-compressed-reads");
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	if (!vmlinux) {
		set_result(c, false, "not checked: vmlinux BTF unreadable");
		return;
	}
	id = btf__find_by_name_kind(vmlinux, "kernel_read_file_id", BTF_KIND_ENUM);
	t = id < 0 ? NULL : btf__type_by_id(vmlinux, id);
	for (int i = 0; t && i < btf_vlen(t); i++) {
		e = btf_enum(t) + i;
		if (strcmp(btf__name_by_offset(vmlinux, e->name_off),
			   "READING_MODULE_COMPRESSED") == 0) {
			set_result(c, true, "READING_MODULE_COMPRESSED = %d: the kernel reads "
					    "compressed module files itself; decided as module_file",
				   e->val);
			return;
		}
	}
	set_result(c, false, "no READING_MODULE_COMPRESSED in enum kernel_read_file_id: "
			     "compressed modules are decompressed by kmod and loaded from a buffer");
}

/* A kfunc giving BPF the real (upper or lower) inode behind an overlayfs
 * file, whose fs-verity and signature the overlay inode does not carry. */
static void check_overlay_backing_file(struct kg_probe_report *r, const struct btf *vmlinux)
{
	struct kg_probe_check *c = add_feature(r, "overlay-backing-file");

	if (!vmlinux)
		set_result(c, false, "not checked: vmlinux BTF unreadable");
	else if (btf__find_by_name_kind(vmlinux, "bpf_real_data_inode", BTF_KIND_FUNC) >= 0)
		set_result(c, true, "kfunc bpf_real_data_inode in vmlinux BTF: BPF reaches the "
				    "real file behind an overlayfs file");
	else
		set_result(c, false, "no kfunc bpf_real_data_inode: BPF sees only the overlay "
				     "inode of a file on overlayfs (signed rules refuse it: overlay)");
}

/* Sets a security.bpf. xattr on a scratch file in dir, opens the file
 * under probe_xattr_on_open and returns what bpf_get_file_xattr said
 * (in *result), or -errno when the trial itself failed. */
static int security_bpf_xattr_trial(const char *dir, long long *result, const char **step)
{
	static const char value[] = "kg1";
	struct bpf_link *link = NULL;
	struct probe_bpf *skel = NULL;
	char path[64];
	int err = 0, fd;

	snprintf(path, sizeof(path), "%s/keygate-probe-XXXXXX", dir);
	*step = "creating a scratch file";
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	*step = "setting security.bpf.keygate_probe on it";
	if (setxattr(path, "security.bpf.keygate_probe", value, sizeof(value) - 1, 0) != 0) {
		err = -errno;
		goto out;
	}
	*step = "loading probe_xattr_on_open";
	err = probe_load_only(&skel, "probe_xattr_on_open");
	if (err)
		goto out;
	skel->bss->xattr_tgid = (__u32)getpid();
	*step = "attaching probe_xattr_on_open";
	link = bpf_program__attach_lsm(skel->progs.probe_xattr_on_open);
	if (!link) {
		err = -errno;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	*result = skel->data->xattr_result;
out:
	bpf_link__destroy(link);
	probe_bpf__destroy(skel);
	unlink(path);
	return err;
}

/* Whether bpf_get_file_xattr reads security.bpf.* names (only root can
 * set those): tried for real, since no BTF type tells. */
static void check_security_bpf_xattr(struct kg_probe_report *r, const struct btf *vmlinux)
{
	struct kg_probe_check *c = add_feature(r, "security-bpf-xattr");
	const char *step = "";
	long long result = 1;
	int err;

	if (!vmlinux || btf__find_by_name_kind(vmlinux, "bpf_get_file_xattr", BTF_KIND_FUNC) < 0) {
		set_result(c, false, "no kfunc bpf_get_file_xattr");
		return;
	}
	if (geteuid() != 0) {
		set_result(c, false, "not checked: needs root");
		return;
	}
	err = security_bpf_xattr_trial("/dev/shm", &result, &step);
	if (err == -ENOENT || err == -EOPNOTSUPP)
		err = security_bpf_xattr_trial("/tmp", &result, &step);
	if (err)
		set_result(c, false, "not checked: %s failed: %s", step, strerror(-err));
	else if (result == 3)
		set_result(c, true, "bpf_get_file_xattr read a security.bpf. xattr: a "
				    "signature_xattr named security.bpf.* works here");
	else if (result == -EPERM)
		set_result(c, false, "bpf_get_file_xattr refuses security.bpf. names (EPERM): "
				     "only user.* signature xattrs work here");
	else
		set_result(c, false, "bpf_get_file_xattr on a security.bpf. xattr returned %lld",
			   result);
}

int kg_probe_run(struct kg_probe_report *r, bool verbose)
{
	libbpf_print_fn_t old_print;
	struct btf *vmlinux;
	int btf_err = 0;

	memset(r, 0, sizeof(*r));
	libbpf_verbose = verbose;
	old_print = libbpf_set_print(libbpf_print);

	check_lsm_list(r);
	check_btf(r);
	check_lsm_load(r);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		btf_err = -errno;
	check_kfuncs(r, vmlinux, btf_err);
	check_keyring_lookup(r, vmlinux);
	check_fsverity(r, vmlinux);
	check_modules(r);
	check_compressed_module_reads(r, vmlinux);
	check_security_bpf_xattr(r, vmlinux);
	check_overlay_backing_file(r, vmlinux);
	btf__free(vmlinux);
	libbpf_set_print(old_print);

	r->all_ok = true;
	r->can_enforce = true;
	for (int i = 0; i < r->count; i++) {
		if (!r->checks[i].ok && !r->checks[i].feature) {
			r->all_ok = false;
			if (r->checks[i].required)
				r->can_enforce = false;
		}
	}
	return 0;
}

const struct kg_probe_check *kg_probe_find(const struct kg_probe_report *r, const char *name)
{
	for (int i = 0; i < r->count; i++)
		if (strcmp(r->checks[i].name, name) == 0)
			return &r->checks[i];
	return NULL;
}

const struct kg_probe_check *kg_probe_first_blocker(const struct kg_probe_report *r)
{
	for (int i = 0; i < r->count; i++)
		if (r->checks[i].required && !r->checks[i].ok)
			return &r->checks[i];
	return NULL;
}
