// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kmem.c - kernel memory held by keygate's pinned maps: bpf_map_info for
 * the type and sizes, the memlock line of the map fd's fdinfo for what the
 * kernel charges. Local storage elements live with their task or inode and
 * are not enumerable; their size per owner is reported instead.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kmem.h"
#include "pin.h"

static uint64_t fdinfo_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static uint64_t count_tasks(void)
{
	struct dirent *de;
	uint64_t n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			n++;
	closedir(d);
	return n;
}

static int read_map(const char *dir, const char *name, struct kg_kmem_map *m)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd, err = 0;

	fd = kg_pin_get(dir, KG_PIN_MAPS, name);
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	snprintf(m->name, sizeof(m->name), "%.*s", (int)sizeof(m->name) - 1, name);
	m->type = libbpf_bpf_map_type_str(info.type);
	if (!m->type)
		m->type = "unknown";
	m->id = info.id;
	m->value_size = info.value_size;
	m->max_entries = info.max_entries;
	m->memlock = fdinfo_memlock(fd);
	if (info.type == BPF_MAP_TYPE_TASK_STORAGE)
		m->owner = 1;
	else if (info.type == BPF_MAP_TYPE_INODE_STORAGE)
		m->owner = 2;
	if (m->owner)
		m->per_owner = info.value_size + KG_LOCAL_STORAGE_ELEM_OVERHEAD;
out:
	close(fd);
	return err;
}

int kg_kmem_read(const char *dir, struct kg_kmem *out)
{
	char path[512];
	struct dirent *de;
	int err = 0;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%s", dir, KG_PIN_MAPS) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && !err) {
		struct kg_kmem_map *m;

		if (de->d_name[0] == '.')
			continue;
		if (out->n_maps == KG_KMEM_MAPS_MAX) {
			err = -E2BIG;
			break;
		}
		m = &out->maps[out->n_maps];
		err = read_map(dir, de->d_name, m);
		if (err)
			break;
		out->n_maps++;
		out->memlock_total += m->memlock;
		if (m->owner == 1)
			out->per_task_max += m->per_owner;
		else if (m->owner == 2)
			out->per_inode_max += m->per_owner;
	}
	closedir(d);
	out->tasks = count_tasks();
	return err;
}
