// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * pin.c - keygate's state in bpffs: paths under KG_PIN_DIR, pinning,
 * atomic replacement by rename (bpffs renames within one mount, replacing
 * the target and dropping its reference), and teardown. bpffs refuses
 * names with a dot, so temporary names use '-'.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "pin.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static int join(char *buf, size_t size, const char *dir, const char *kind, const char *name)
{
	int n;

	if (kind)
		n = snprintf(buf, size, "%s/%s/%s", dir, kind, name);
	else
		n = snprintf(buf, size, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int kg_pin_ensure_bpffs(void)
{
	struct statfs st;

	if (statfs(BPFFS_ROOT, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS_ROOT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return -errno;
	return 0;
}

int kg_pin_get(const char *dir, const char *kind, const char *name)
{
	char path[512];
	int err = join(path, sizeof(path), dir, kind, name);
	int fd;

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int kg_pin_add(int fd, const char *dir, const char *kind, const char *name)
{
	char path[512];
	int err = join(path, sizeof(path), dir, kind, name);

	if (err)
		return err;
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int kg_pin_replace(int fd, const char *dir, const char *kind, const char *name)
{
	char path[512], tmp[512];
	int err = join(path, sizeof(path), dir, kind, name);

	if (!err && snprintf(tmp, sizeof(tmp), "%s-new", path) >= (int)sizeof(tmp))
		err = -ENAMETOOLONG;
	if (err)
		return err;
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

int kg_pin_drop(const char *dir, const char *kind, const char *name)
{
	char path[512];
	int err = join(path, sizeof(path), dir, kind, name);

	if (err)
		return err;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

int kg_pin_stage(char *buf, size_t size)
{
	char sub[512];
	int n = snprintf(buf, size, "%s-new-%d", KG_PIN_DIR, (int)getpid());

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	kg_pin_remove(buf); /* left by a crashed start with our pid */
	if (mkdir(buf, 0700))
		return -errno;
	for (int i = 0; i < 2; i++) {
		if (join(sub, sizeof(sub), buf, NULL, i ? KG_PIN_LINKS : KG_PIN_MAPS) ||
		    mkdir(sub, 0700)) {
			int err = -errno;

			kg_pin_remove(buf);
			return err ? err : -ENAMETOOLONG;
		}
	}
	return 0;
}

int kg_pin_publish(const char *staged)
{
	char old[256];
	int err;

	snprintf(old, sizeof(old), "%s-old-%d", KG_PIN_DIR, (int)getpid());
	if (rename(KG_PIN_DIR, old) == 0) {
		if (rename(staged, KG_PIN_DIR)) {
			err = -errno;
			rename(old, KG_PIN_DIR); /* the old state stays in force */
			return err;
		}
		return kg_pin_remove(old);
	}
	if (errno != ENOENT)
		return -errno;
	return rename(staged, KG_PIN_DIR) ? -errno : 0;
}

/* Unlinks every pinned object in path (keygate pins nothing deeper than
 * one level below its directory), then removes path. */
static int remove_dir(const char *path)
{
	char entry[768];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR)
			continue;
		snprintf(entry, sizeof(entry), "%s/%s", path, de->d_name);
		if (unlink(entry) && !err)
			err = -errno;
	}
	closedir(d);
	if (!err && rmdir(path))
		err = -errno;
	return err;
}

int kg_pin_remove(const char *dir)
{
	char sub[512];
	struct stat st;
	int err;

	if (stat(dir, &st))
		return -errno;
	/* Links first: from the first unlink on, enforcement ends. */
	for (int i = 0; i < 2; i++) {
		if (join(sub, sizeof(sub), dir, NULL, i ? KG_PIN_MAPS : KG_PIN_LINKS))
			return -ENAMETOOLONG;
		err = remove_dir(sub);
		if (err && err != -ENOENT)
			return err;
	}
	return remove_dir(dir);
}

int kg_pin_state_read(const char *dir, struct kg_agent_state *out, int *fd_out)
{
	__u32 zero = 0;
	int fd, err = 0;

	fd = kg_pin_get(dir, NULL, KG_PIN_STATE);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, out))
		err = -errno;
	else if (out->size != sizeof(*out))
		err = -EPROTO; /* another ABI: only abi and layout are meaningful */
	if (fd_out && !err)
		*fd_out = fd;
	else
		close(fd);
	return err;
}

int kg_pin_start_time(uint32_t tgid, uint64_t *out)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &start) != 1)
		return -EIO;
	*out = start;
	return 0;
}

bool kg_pin_agent_alive(const struct kg_agent_state *s)
{
	uint64_t start;

	if (!s->tgid || kg_pin_start_time(s->tgid, &start))
		return false;
	return start == s->start_time;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int kg_pin_names(const char *dir, const char *kind, char (*names)[KG_PIN_NAME_MAX], int max)
{
	char path[512];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (join(path, sizeof(path), dir, NULL, kind))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && (!names || n < max)) {
		if (de->d_type == DT_DIR)
			continue;
		if (names)
			snprintf(names[n], KG_PIN_NAME_MAX, "%.*s", KG_PIN_NAME_MAX - 1, de->d_name);
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, KG_PIN_NAME_MAX, compare_names);
	return n;
}

int kg_pin_count(const char *dir, const char *kind)
{
	return kg_pin_names(dir, kind, NULL, 0);
}

/* The ids of the programs behind the links pinned in dir/links. */
static size_t pinned_prog_ids(const char *dir, uint32_t *ids, size_t max)
{
	char path[512];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (join(path, sizeof(path), dir, NULL, KG_PIN_LINKS))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct bpf_link_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd;

		if (de->d_type == DT_DIR)
			continue;
		fd = kg_pin_get(dir, KG_PIN_LINKS, de->d_name);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			ids[n++] = info.prog_id;
		close(fd);
	}
	closedir(d);
	return n;
}

/* The kernel releases an unpinned link later (after an RCU grace period,
 * from a work item), and its id goes before the program is detached: wait
 * until none of the programs can be found by id, i.e. all are detached. */
static int wait_progs_gone(const uint32_t *ids, size_t n, int timeout_ms)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int waited = 0;; waited += 20) {
		size_t left = 0;

		for (size_t i = 0; i < n; i++) {
			int fd = bpf_prog_get_fd_by_id(ids[i]);

			if (fd >= 0) {
				close(fd);
				left++;
			}
		}
		if (!left)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

int kg_pin_stop(struct kg_agent_state *was, bool *agent_stopped, int timeout_ms)
{
	uint32_t ids[KG_GUARDED_MAX];
	size_t n_ids;
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct stat st;
	int err;

	*agent_stopped = false;
	memset(was, 0, sizeof(*was));
	err = kg_pin_state_read(KG_PIN_DIR, was, NULL);
	if (err == -ENOENT && stat(KG_PIN_DIR, &st))
		return -ENOENT;
	if (!err && kg_pin_agent_alive(was)) {
		if (kill(was->tgid, SIGTERM))
			return -errno;
		for (int waited = 0; kg_pin_agent_alive(was); waited += 50) {
			if (waited >= timeout_ms)
				return -ETIMEDOUT;
			nanosleep(&tick, NULL);
		}
		*agent_stopped = true;
	}
	n_ids = pinned_prog_ids(KG_PIN_DIR, ids, KG_GUARDED_MAX);
	err = kg_pin_remove(KG_PIN_DIR);
	if (err)
		return err;
	return wait_progs_gone(ids, n_ids, timeout_ms);
}
