// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * source.c - the merged source policy (struct kg_source_policy) that
 * parse.c fills one document at a time: the names of its files, the pass
 * over revoked digests once every file is in, and freeing it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* An array of n strings and the strings. */
static void free_strings(char **strings, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(strings[i]);
	free(strings);
}

void kg_src_anchor_free(struct kg_src_anchor *a)
{
	free(a->name);
	free(a->keyring_description);
	free_strings(a->cert_paths, a->n_certs);
	free(a->cert_locs);
}

void kg_src_rule_free(struct kg_src_rule *r)
{
	free(r->name);
	for (size_t i = 0; i < r->n_scopes; i++)
		free(r->scopes[i].path);
	free(r->scopes);
	free_strings(r->anchor_names, r->n_anchor_names);
	free(r->anchor_locs);
}

static int compare_digests(const void *a, const void *b, void *arg)
{
	const struct kg_src_digest *digests = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct kg_src_digest *x = &digests[ia], *y = &digests[ib];
	int cmp = x->algo != y->algo ? (x->algo > y->algo) - (x->algo < y->algo)
				     : memcmp(x->digest, y->digest, x->size);

	return cmp ? cmp : (ia > ib) - (ia < ib);
}

int kg_source_drop_repeated_digests(struct kg_source_policy *src, struct kg_diagnostics *diags)
{
	size_t n = src->n_revoked, kept = 0;
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	bool *repeated = calloc(n ? n : 1, sizeof(*repeated));
	int err = 0;

	if (!order || !repeated) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), compare_digests, src->revoked);
	for (size_t k = 1; k < n; k++)
		if (src->revoked[order[k]].algo == src->revoked[order[k - 1]].algo &&
		    memcmp(src->revoked[order[k]].digest, src->revoked[order[k - 1]].digest,
			   src->revoked[order[k]].size) == 0)
			repeated[order[k]] = true;
	for (size_t i = 0; i < n; i++) {
		const struct kg_src_digest *d = &src->revoked[i];
		char hex[2 * KG_DIGEST_MAX + 1];

		if (!repeated[i]) {
			src->revoked[kept++] = *d;
			continue;
		}
		kg_hex_encode(hex, d->digest, d->size);
		kg_diag_add(diags, src, KG_SEV_WARNING, d->loc, "digest '%s:%s' is already revoked",
			    d->algo == 1 ? "sha256" : "sha512", hex);
	}
	src->n_revoked = kept;
out:
	free(order);
	free(repeated);
	return err;
}

int kg_source_add_file(struct kg_source_policy *src, const char *name, uint32_t *index)
{
	char **sources = realloc(src->sources, (src->n_sources + 1) * sizeof(*sources));

	if (!sources)
		return -ENOMEM;
	src->sources = sources;
	sources[src->n_sources] = strdup(name);
	if (!sources[src->n_sources])
		return -ENOMEM;
	*index = (uint32_t)src->n_sources++;
	return 0;
}

void kg_source_free(struct kg_source_policy *src)
{
	free_strings(src->sources, src->n_sources);
	free(src->name);
	for (size_t i = 0; i < src->n_anchors; i++)
		kg_src_anchor_free(&src->anchors[i]);
	free(src->anchors);
	for (size_t i = 0; i < src->n_rules; i++)
		kg_src_rule_free(&src->rules[i]);
	free(src->rules);
	free(src->revoked);
	free_strings(src->revoked_cert_paths, src->n_revoked_certs);
	free(src->revoked_cert_locs);
	memset(src, 0, sizeof(*src));
}
