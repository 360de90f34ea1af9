// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* load.c - policy files, drop-in directories, buffers and the built-in default. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define POLICY_FILE_MAX (16u << 20)

/* Generated from default.yaml at build time (embed_text). */
extern const char kg_default_policy_text[];

static void source_init(struct kg_source_policy *src)
{
	memset(src, 0, sizeof(*src));
	for (int op = 0; op < KG_OP_COUNT; op++)
		src->default_action[op] = KG_DEFAULT_ALLOW;
	snprintf(src->sig_xattr, sizeof(src->sig_xattr), "%s", KG_DEFAULT_SIG_XATTR);
}

static int add_buffer(struct kg_source_policy *src, const char *name, const char *buf, size_t len,
		      struct kg_diagnostics *diags)
{
	uint32_t index;
	int err = kg_source_add_file(src, name, &index);

	if (err)
		return err;
	return kg_parse_document(src, index, buf, len, diags);
}

static int add_file(struct kg_source_policy *src, const char *path, struct kg_diagnostics *diags)
{
	char *data = NULL;
	size_t len;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f) {
		kg_diag_add_file(diags, KG_SEV_ERROR, path, 0, 0, "cannot open: %s", strerror(errno));
		return 0;
	}
	data = malloc(POLICY_FILE_MAX + 1);
	if (!data) {
		err = -ENOMEM;
		goto out;
	}
	len = fread(data, 1, POLICY_FILE_MAX + 1, f);
	if (ferror(f)) {
		kg_diag_add_file(diags, KG_SEV_ERROR, path, 0, 0, "cannot read: %s", strerror(EIO));
		goto out;
	}
	if (len > POLICY_FILE_MAX) {
		kg_diag_add_file(diags, KG_SEV_ERROR, path, 0, 0, "larger than %u bytes",
				 POLICY_FILE_MAX);
		goto out;
	}
	err = add_buffer(src, path, data, len, diags);
out:
	free(data);
	fclose(f);
	return err;
}

static int yaml_dropin(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".yaml") == 0;
}

/* Byte order, not the locale's: merge order must not depend on LC_COLLATE. */
static int compare_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int add_directory(struct kg_source_policy *src, const char *dir,
			 struct kg_diagnostics *diags)
{
	struct dirent **entries = NULL;
	char *path = NULL, *dropin_dir = NULL;
	size_t dir_len = strlen(dir);
	size_t before = src->n_sources;
	struct stat st;
	int n = 0, err = 0;

	while (dir_len > 1 && dir[dir_len - 1] == '/')
		dir_len--;
	if (asprintf(&path, "%.*s/policy.yaml", (int)dir_len, dir) < 0 ||
	    asprintf(&dropin_dir, "%.*s/policy.d", (int)dir_len, dir) < 0) {
		err = -ENOMEM;
		goto out;
	}
	if (stat(path, &st) == 0) {
		err = add_file(src, path, diags);
		if (err)
			goto out;
	}
	if (stat(dropin_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		n = scandir(dropin_dir, &entries, yaml_dropin, compare_names);
		if (n < 0) {
			kg_diag_add_file(diags, KG_SEV_ERROR, dropin_dir, 0, 0, "cannot read: %s",
					 strerror(errno));
			n = 0;
			goto out;
		}
		for (int i = 0; i < n && !err; i++) {
			char *file = NULL;

			if (asprintf(&file, "%s/%s", dropin_dir, entries[i]->d_name) < 0) {
				err = -ENOMEM;
				break;
			}
			err = add_file(src, file, diags);
			free(file);
		}
	}
	if (!err && src->n_sources == before && !diags->errors)
		kg_diag_add_file(diags, KG_SEV_ERROR, dir, 0, 0,
				 "directory has no policy.yaml and no policy.d/*.yaml");
out:
	for (int i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	free(path);
	free(dropin_dir);
	return err;
}

struct diag_rank {
	size_t source, index;
	struct kg_diag item;
};

static int compare_ranks(const void *a, const void *b)
{
	const struct diag_rank *x = a, *y = b;

	if (x->source != y->source)
		return (x->source > y->source) - (x->source < y->source);
	if (x->item.line != y->item.line)
		return (x->item.line > y->item.line) - (x->item.line < y->item.line);
	if (x->item.col != y->item.col)
		return (x->item.col > y->item.col) - (x->item.col < y->item.col);
	return (x->index > y->index) - (x->index < y->index);
}

/* Diagnostics from first..count in source order (file in merge order,
 * line, column), as a reader goes through the policy. */
static void sort_diagnostics(const struct kg_source_policy *src, struct kg_diagnostics *diags,
			     size_t first)
{
	size_t n = diags->count - first;
	struct diag_rank *ranks;

	if (n < 2)
		return;
	ranks = calloc(n, sizeof(*ranks));
	if (!ranks)
		return; /* unsorted is still correct */
	for (size_t i = 0; i < n; i++) {
		ranks[i].item = diags->items[first + i];
		ranks[i].index = i;
		ranks[i].source = src->n_sources;
		for (size_t k = 0; k < src->n_sources; k++)
			if (strcmp(src->sources[k], ranks[i].item.file) == 0) {
				ranks[i].source = k;
				break;
			}
	}
	qsort(ranks, n, sizeof(*ranks), compare_ranks);
	for (size_t i = 0; i < n; i++)
		diags->items[first + i] = ranks[i].item;
	free(ranks);
}

static int finish(struct kg_source_policy *src, struct kg_compiled_policy **out,
		  struct kg_diagnostics *diags, size_t first_diag, int err)
{
	if (!err)
		err = kg_source_drop_repeated_digests(src, diags);
	if (!err) {
		if (diags->errors)
			err = -EINVAL;
		else
			err = kg_compile(src, out, diags);
	}
	sort_diagnostics(src, diags, first_diag);
	kg_source_free(src);
	return err;
}

int kg_policy_load(const char *const *paths, size_t n_paths, struct kg_compiled_policy **out,
		   struct kg_diagnostics *diags)
{
	struct kg_source_policy src;
	size_t first_diag = diags->count;
	int err = 0;

	*out = NULL;
	source_init(&src);
	for (size_t i = 0; i < n_paths && !err; i++) {
		struct stat st;

		if (stat(paths[i], &st) < 0) {
			kg_diag_add_file(diags, KG_SEV_ERROR, paths[i], 0, 0, "cannot open: %s",
					 strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			err = add_directory(&src, paths[i], diags);
		else
			err = add_file(&src, paths[i], diags);
	}
	return finish(&src, out, diags, first_diag, err);
}

int kg_policy_load_buffer(const char *name, const char *buf, size_t len,
			  struct kg_compiled_policy **out, struct kg_diagnostics *diags)
{
	struct kg_source_policy src;
	size_t first_diag = diags->count;

	*out = NULL;
	source_init(&src);
	return finish(&src, out, diags, first_diag, add_buffer(&src, name ? name : "<buffer>", buf, len, diags));
}

const char *kg_policy_default_text(void)
{
	return kg_default_policy_text;
}

int kg_policy_load_default(struct kg_compiled_policy **out, struct kg_diagnostics *diags)
{
	return kg_policy_load_buffer("<default>", kg_default_policy_text,
				     strlen(kg_default_policy_text), out, diags);
}
