// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-userns.c - an unprivileged user's view of the file system, then one
 * execve whose errno is the result (as kg-exec reports it):
 *
 *   kg-userns UID exec FILE [ARG...]            as UID, no namespace
 *   kg-userns UID bind SRC DST FILE [ARG...]    new user+mount namespace,
 *                                               SRC bind-mounted on DST
 *   kg-userns UID chroot DIR FILE [ARG...]      new user+mount namespace
 *                                               (UID 0: none), chroot DIR
 *   kg-userns UID pivot DIR SUB FILE [ARG...]   new user+mount namespace,
 *                                               DIR becomes the root, then
 *                                               pivot_root into DIR/SUB
 *
 * UID 0 keeps root's credentials and skips the namespaces. Otherwise the
 * process drops to UID/GID UID first, then does what any user may do with
 * unprivileged user namespaces. FILE is a path in the resulting view.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kg_helper.h"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(text);
	int err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, text, (size_t)len) != len)
		err = errno;
	close(fd);
	return err;
}

static int drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return errno;
	/* Changing uid made the process non-dumpable, which leaves its
	 * /proc/self files to root: the user could not write its id maps. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return errno;
	return 0;
}

/* A user and mount namespace where the caller is root, mounts private. */
static int enter_namespaces(uid_t uid)
{
	char map[64];
	int err;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return errno;
	err = write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (!err)
		err = write_file("/proc/self/uid_map", map);
	if (!err)
		err = write_file("/proc/self/gid_map", map);
	if (!err && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		err = errno;
	return err;
}

/* pivot_root needs a root that is a mount with a parent (not the
 * initramfs): bind DIR on itself, chroot there, bind SUB on itself and
 * pivot into it. */
static int pivot(const char *dir, const char *sub)
{
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) || chdir(dir) || chroot(".") ||
	    mount(sub, sub, NULL, MS_BIND | MS_REC, NULL) || chdir(sub) ||
	    syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/"))
		return errno;
	return 0;
}

int main(int argc, char **argv)
{
	const char *action;
	uid_t uid;
	int err = 0, first;

	if (argc < 4) {
		fprintf(stderr, "usage: kg-userns UID exec|bind|chroot|pivot ARGS... FILE [ARG...]\n");
		return KG_HELPER_USAGE;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	action = argv[2];
	if (uid && (err = drop_to(uid)))
		return kg_setup_error(argv[1], "drop to uid", err);
	if (strcmp(action, "exec") == 0) {
		first = 3;
	} else if (strcmp(action, "bind") == 0 && argc >= 6) {
		if (uid && (err = enter_namespaces(uid)))
			return kg_setup_error("user and mount namespace", "enter", err);
		if (mount(argv[3], argv[4], NULL, MS_BIND | MS_REC, NULL))
			return kg_setup_error(argv[4], "bind mount", errno);
		first = 5;
	} else if (strcmp(action, "chroot") == 0 && argc >= 5) {
		if (uid && (err = enter_namespaces(uid)))
			return kg_setup_error("user and mount namespace", "enter", err);
		if (chroot(argv[3]) || chdir("/"))
			return kg_setup_error(argv[3], "chroot", errno);
		first = 4;
	} else if (strcmp(action, "pivot") == 0 && argc >= 6) {
		if (uid && (err = enter_namespaces(uid)))
			return kg_setup_error("user and mount namespace", "enter", err);
		if ((err = pivot(argv[3], argv[4])))
			return kg_setup_error(argv[3], "pivot_root", err);
		first = 5;
	} else {
		fprintf(stderr, "kg-userns: unknown action or missing arguments: %s\n", action);
		return KG_HELPER_USAGE;
	}
	return kg_exec_result(argv[first], argv + first);
}
