// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * scopes.c - policy path scopes -> file identities (see scopes.h).
 *
 * The device of a directory is the one /proc/self/mountinfo shows for the
 * mount statx() reports it on: the superblock's s_dev, which is what the
 * kernel side reads (stat's st_dev differs from it on btrfs subvolumes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "scopes.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

struct mount_entry {
	uint64_t id;
	uint64_t dev;
	char *mount_point;
};

struct mount_table {
	struct mount_entry *m;
	size_t n, cap;
};

struct resolver {
	const struct kg_compiled_policy *policy;
	struct mount_table mounts;
	struct kg_scope_set *out;
	size_t cap_dirs, cap_files;
};

uint64_t kg_name_hash(const char *name, size_t len)
{
	uint64_t hash = KG_NAME_HASH_SEED;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t word = 0;

		for (size_t j = 0; j < 8 && i + j < len; j++)
			word |= (uint64_t)(unsigned char)name[i + j] << (8 * j);
		hash = (hash ^ word) * KG_NAME_HASH_PRIME;
	}
	return hash;
}

static uint64_t kernel_dev(unsigned int major, unsigned int minor)
{
	return ((uint64_t)major << 20) | minor;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static void mounts_free(struct mount_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->m[i].mount_point);
	free(t->m);
	memset(t, 0, sizeof(*t));
}

static int mounts_read(struct mount_table *t)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, point[PATH_MAX + 1];
	size_t line_cap = 0;
	int err = 0;

	if (!f)
		return -errno;
	while (getline(&line, &line_cap, f) > 0) {
		unsigned long long id, parent;
		unsigned int major, minor;

		if (sscanf(line, "%llu %llu %u:%u %*s %4096s", &id, &parent, &major, &minor,
			   point) != 5)
			continue;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct mount_entry *m = realloc(t->m, cap * sizeof(*m));

			if (!m) {
				err = -ENOMEM;
				break;
			}
			t->m = m;
			t->cap = cap;
		}
		unescape(point);
		t->m[t->n].id = id;
		t->m[t->n].dev = kernel_dev(major, minor);
		t->m[t->n].mount_point = strdup(point);
		if (!t->m[t->n].mount_point) {
			err = -ENOMEM;
			break;
		}
		t->n++;
	}
	free(line);
	fclose(f);
	return err;
}

/* The identity of the directory at PATH (symbolic links followed). */
static int identify_dir(const struct resolver *r, const char *path, uint64_t *dev, uint64_t *ino)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_STATX_SYNC_AS_STAT, STATX_TYPE | STATX_INO | STATX_MNT_ID,
		  &stx))
		return -errno;
	if (!S_ISDIR(stx.stx_mode))
		return -ENOTDIR;
	*dev = kernel_dev(stx.stx_dev_major, stx.stx_dev_minor);
	if (stx.stx_mask & STATX_MNT_ID)
		for (size_t i = 0; i < r->mounts.n; i++)
			if (r->mounts.m[i].id == stx.stx_mnt_id) {
				*dev = r->mounts.m[i].dev;
				break;
			}
	*ino = stx.stx_ino;
	return 0;
}

/* Requirement strength for merging two entries of one identity. */
static int strength(const struct kg_compiled_policy *p, uint32_t rule)
{
	const struct kg_rule *r;

	if (rule >= p->n_rules)
		return 0;
	r = &p->rules[rule];
	switch (r->requirement) {
	case KG_REQ_DENY:
		return r->on_failure == KG_FAIL_DENY ? 6 : 5;
	case KG_REQ_SIGNED:
		return r->on_failure == KG_FAIL_DENY ? 4 : 3;
	default:
		return 1;
	}
}

static void merge_value(const struct kg_compiled_policy *p, struct kg_path_value *into,
			const struct kg_path_value *from)
{
	for (int op = 0; op < KG_OP_COUNT; op++) {
		int a = strength(p, into->rule[op]), b = strength(p, from->rule[op]);

		if (b > a || (b == a && from->rule[op] < into->rule[op]))
			into->rule[op] = from->rule[op];
	}
}

static void note_unresolved(struct resolver *r, const char *path)
{
	r->out->n_unresolved++;
	if (!r->out->first_unresolved)
		r->out->first_unresolved = strdup(path);
}

/* Appended; duplicates are merged once everything is in (merge_dups). */
static int add_dir(struct resolver *r, uint64_t dev, uint64_t ino, const struct kg_path_value *v)
{
	struct kg_scope_set *s = r->out;

	if (s->n_dirs == r->cap_dirs) {
		size_t cap = r->cap_dirs ? r->cap_dirs * 2 : 64;
		struct kg_scope_dir *d = realloc(s->dirs, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		s->dirs = d;
		r->cap_dirs = cap;
	}
	s->dirs[s->n_dirs++] = (struct kg_scope_dir){ dev, ino, *v };
	return 0;
}

static int add_file(struct resolver *r, uint64_t dev, uint64_t dir_ino, const char *name,
		    const struct kg_path_value *v)
{
	struct kg_scope_set *s = r->out;
	size_t len = strlen(name);
	struct kg_scope_file *f;

	if (len == 0 || len > KG_FILE_NAME_MAX)
		return 0; /* no file can have that name */
	if (s->n_files == r->cap_files) {
		size_t cap = r->cap_files ? r->cap_files * 2 : 16;
		struct kg_scope_file *grown = realloc(s->files, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->files = grown;
		r->cap_files = cap;
	}
	f = &s->files[s->n_files++];
	memset(f, 0, sizeof(*f));
	f->dev = dev;
	f->dir_ino = dir_ino;
	f->name_len = (uint32_t)len;
	memcpy(f->name, name, len);
	f->value = *v;
	return 0;
}

/* An exact-file scope: the directory it is in, and the name. */
static int resolve_file(struct resolver *r, const char *path, const struct kg_path_value *v)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	uint64_t dev, ino;
	int err;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	err = identify_dir(r, dir[0] ? dir : "/", &dev, &ino);
	if (err) {
		note_unresolved(r, path);
		return 0;
	}
	err = add_file(r, dev, ino, slash + 1, v);
	/* A symbolic link: the file executed or opened is its target. */
	if (!err && realpath(path, real) && strcmp(real, path) != 0)
		err = resolve_file(r, real, v);
	return err;
}

static int compare_dirs(const void *a, const void *b)
{
	const struct kg_scope_dir *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

static int compare_files(const void *a, const void *b)
{
	const struct kg_scope_file *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->dir_ino != y->dir_ino)
		return x->dir_ino < y->dir_ino ? -1 : 1;
	return memcmp(x->name, y->name, sizeof(x->name));
}

/* Sorts, then merges the entries of one identity into the first. */
static void merge_dups(const struct kg_compiled_policy *p, struct kg_scope_set *s)
{
	size_t n = 0;

	if (s->n_dirs)
		qsort(s->dirs, s->n_dirs, sizeof(*s->dirs), compare_dirs);
	for (size_t i = 0; i < s->n_dirs; i++) {
		if (n && !compare_dirs(&s->dirs[n - 1], &s->dirs[i]))
			merge_value(p, &s->dirs[n - 1].value, &s->dirs[i].value);
		else
			s->dirs[n++] = s->dirs[i];
	}
	s->n_dirs = n;
	n = 0;
	if (s->n_files)
		qsort(s->files, s->n_files, sizeof(*s->files), compare_files);
	for (size_t i = 0; i < s->n_files; i++) {
		if (n && !compare_files(&s->files[n - 1], &s->files[i]))
			merge_value(p, &s->files[n - 1].value, &s->files[i].value);
		else
			s->files[n++] = s->files[i];
	}
	s->n_files = n;
}

static int add_dev(struct kg_scope_set *s, uint64_t dev, uint32_t flag)
{
	struct kg_scope_dev *d;

	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i].dev == dev) {
			s->devs[i].flags |= flag;
			return 0;
		}
	d = realloc(s->devs, (s->n_devs + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	s->devs = d;
	s->devs[s->n_devs++] = (struct kg_scope_dev){ dev, flag, 0 };
	return 0;
}

static int compare_devs(const void *a, const void *b)
{
	const struct kg_scope_dev *x = a, *y = b;

	return (x->dev > y->dev) - (x->dev < y->dev);
}

/* Mount roots inside a scope carry it: the walk stops at a superblock's
 * root, so a file system mounted under /opt/ would otherwise leave it. */
static int resolve_mounts(struct resolver *r)
{
	const struct kg_compiled_policy *p = r->policy;
	char dir[PATH_MAX + 2];
	int err = 0;

	for (size_t i = 0; i < r->mounts.n && !err; i++) {
		const char *point = r->mounts.m[i].mount_point;
		const struct kg_path_entry *scope;
		uint64_t dev, ino;

		snprintf(dir, sizeof(dir), "%s%s", point, strcmp(point, "/") ? "/" : "");
		scope = kg_policy_lookup(p, dir);
		if (scope == &p->paths[0])
			continue; /* the "everything" scope needs no entry */
		if (identify_dir(r, point, &dev, &ino))
			continue; /* hidden under another mount, or gone */
		err = add_dir(r, dev, ino, &scope->value);
		if (!err)
			r->out->n_mount_roots++;
	}
	return err;
}

int kg_scopes_resolve(const struct kg_compiled_policy *p, struct kg_scope_set *out)
{
	struct resolver r = { .policy = p, .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = mounts_read(&r.mounts);
	for (size_t i = 1; i < p->n_paths && !err; i++) {
		const struct kg_path_entry *e = &p->paths[i];
		const char *path = e->key.path;
		uint64_t dev, ino;

		if (e->key.len == 0)
			continue;
		if (path[e->key.len - 1] != '/') {
			err = resolve_file(&r, path, &e->value);
			continue;
		}
		if (identify_dir(&r, path, &dev, &ino)) {
			note_unresolved(&r, path);
			continue;
		}
		err = add_dir(&r, dev, ino, &e->value);
	}
	if (!err)
		err = resolve_mounts(&r);
	if (!err)
		merge_dups(p, out);
	for (size_t i = 0; i < out->n_dirs && !err; i++)
		err = add_dev(out, out->dirs[i].dev, KG_DEV_HAS_DIRS);
	for (size_t i = 0; i < out->n_files && !err; i++)
		err = add_dev(out, out->files[i].dev, KG_DEV_HAS_FILES);
	mounts_free(&r.mounts);
	if (err) {
		kg_scopes_free(out);
		return err;
	}
	if (out->n_devs)
		qsort(out->devs, out->n_devs, sizeof(*out->devs), compare_devs);
	return 0;
}

bool kg_scopes_equal(const struct kg_scope_set *a, const struct kg_scope_set *b)
{
	return a->n_dirs == b->n_dirs && a->n_files == b->n_files && a->n_devs == b->n_devs &&
	       (!a->n_dirs || !memcmp(a->dirs, b->dirs, a->n_dirs * sizeof(*a->dirs))) &&
	       (!a->n_files || !memcmp(a->files, b->files, a->n_files * sizeof(*a->files))) &&
	       (!a->n_devs || !memcmp(a->devs, b->devs, a->n_devs * sizeof(*a->devs)));
}

void kg_scopes_free(struct kg_scope_set *s)
{
	free(s->dirs);
	free(s->files);
	free(s->devs);
	free(s->first_unresolved);
	memset(s, 0, sizeof(*s));
}
