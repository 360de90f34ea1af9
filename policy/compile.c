// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * compile.c - merged source policy -> the map images of keygate_abi.h.
 *
 * Which rule decides: for an operation on a file, the rule with the most
 * specific scope covering the operation (exact file > longer directory
 * prefix > shorter prefix > everything); among rules with the same scope,
 * the first in merge order, and later ones are reported as shadowed. The
 * path table holds one entry per distinct scope whose rule[op] is already
 * inherited from the nearest enclosing scope in the table, so the kernel
 * only needs the longest matching entry.
 *
 * One file: its passes (anchors, revocations, rules, paths, config,
 * limits) run in this order over one struct compiler, each reading what
 * the previous ones built; split, they would share that state through a
 * header for no reader's gain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct compiler {
	struct kg_source_policy *src;
	struct kg_diagnostics *diags;
	struct kg_compiled_policy *out;
	size_t *anchor_order; /* anchor indexes by name, then position */
	int err;
};

static void *xcalloc(struct compiler *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		c->err = -ENOMEM;
	return p;
}

static char *xstrdup(struct compiler *c, const char *s)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		c->err = -ENOMEM;
	return copy;
}

static const char *file_of(const struct compiler *c, struct kg_loc loc)
{
	return loc.file < c->src->n_sources ? c->src->sources[loc.file] : "?";
}

static struct kg_source_ref ref_of(const struct compiler *c, struct kg_loc loc)
{
	struct kg_source_ref ref = { NULL, loc.line, loc.col };

	if (loc.file < c->out->n_sources)
		ref.file = c->out->sources[loc.file];
	return ref;
}

static struct kg_loc first_loc(void)
{
	struct kg_loc loc = { 0, 1, 1 };
	return loc;
}

static void check_header(struct compiler *c)
{
	struct kg_source_policy *src = c->src;

	if (!src->have_policy_section) {
		kg_diag_add(c->diags, src, KG_SEV_ERROR, first_loc(),
			    "missing 'policy' section (with name and version)");
		return;
	}
	if (!src->h_name.set)
		kg_diag_add(c->diags, src, KG_SEV_ERROR, first_loc(), "'policy' has no 'name'");
	if (!src->h_version.set)
		kg_diag_add(c->diags, src, KG_SEV_ERROR, first_loc(), "'policy' has no 'version'");
}

static int compare_anchor_names(const void *a, const void *b, void *arg)
{
	const struct kg_src_anchor *anchors = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int cmp = strcmp(anchors[ia].name, anchors[ib].name);

	return cmp ? cmp : (ia > ib) - (ia < ib);
}

/* Anchor names are sorted once, for duplicates and for find_anchor: a
 * walk over every anchor per name is quadratic in adversarial files. */
static void check_duplicate_names(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	size_t *order = xcalloc(c, src->n_anchors, sizeof(*order));
	size_t *first = xcalloc(c, src->n_anchors, sizeof(*first));

	if (!order || !first)
		goto out;
	for (size_t i = 0; i < src->n_anchors; i++)
		order[i] = i;
	qsort_r(order, src->n_anchors, sizeof(*order), compare_anchor_names, src->anchors);
	for (size_t k = 0; k < src->n_anchors; k++) {
		size_t i = order[k];

		first[i] = k > 0 && strcmp(src->anchors[order[k - 1]].name, src->anchors[i].name) == 0
				   ? first[order[k - 1]] : i;
	}
	for (size_t i = 0; i < src->n_anchors; i++) {
		const struct kg_src_anchor *a = &src->anchors[i], *f = &src->anchors[first[i]];

		if (first[i] != i)
			kg_diag_add(c->diags, src, KG_SEV_ERROR, a->loc,
				    "anchor '%s' is already defined at %s:%u:%u", a->name,
				    file_of(c, f->loc), f->loc.line, f->loc.col);
	}
	c->anchor_order = order;
	order = NULL;
out:
	free(order);
	free(first);
}

/* Rule names are checked with a sorted index: policies may hold thousands. */
static int compare_rule_names(const void *a, const void *b, void *arg)
{
	const struct kg_src_rule *rules = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int cmp = strcmp(rules[ia].name, rules[ib].name);

	return cmp ? cmp : (ia > ib) - (ia < ib);
}

static void check_duplicate_rules(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	size_t *order = xcalloc(c, src->n_rules, sizeof(*order));

	if (!order)
		return;
	for (size_t i = 0; i < src->n_rules; i++)
		order[i] = i;
	qsort_r(order, src->n_rules, sizeof(*order), compare_rule_names, src->rules);
	for (size_t i = 1; i < src->n_rules; i++) {
		const struct kg_src_rule *first = &src->rules[order[i - 1]], *r = &src->rules[order[i]];
		size_t k = i - 1;

		if (strcmp(first->name, r->name) != 0)
			continue;
		while (k > 0 && strcmp(src->rules[order[k - 1]].name, r->name) == 0)
			k--;
		first = &src->rules[order[k]];
		kg_diag_add(c->diags, src, KG_SEV_ERROR, r->loc, "rule '%s' is already defined at %s:%u:%u",
			    r->name, file_of(c, first->loc), first->loc.line, first->loc.col);
	}
	free(order);
}

static void free_certs(struct kg_certificate *certs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		kg_cert_free(&certs[k]);
	free(certs);
}

/* The certificates in one file of the policy, or a policy error at loc
 * (nonzero: the caller skips the file; c->err is set when out of memory). */
static int load_certs(struct compiler *c, const char *path, struct kg_loc loc,
		      struct kg_certificate **certs, size_t *n)
{
	char why[256];
	int err = kg_cert_load(path, certs, n, why, sizeof(why));

	if (err == -ENOMEM)
		c->err = err;
	else if (err)
		kg_diag_add(c->diags, c->src, KG_SEV_ERROR, loc,
			    err == -EINVAL ? "invalid certificate '%s': %s"
					   : "cannot read certificate '%s': %s",
			    path, why);
	return err;
}

static void compile_anchors(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	struct kg_compiled_policy *out = c->out;

	out->anchors = xcalloc(c, src->n_anchors, sizeof(*out->anchors));
	out->anchor_info = xcalloc(c, src->n_anchors, sizeof(*out->anchor_info));
	if (c->err)
		return;
	out->n_anchors = src->n_anchors;
	for (size_t i = 0; i < src->n_anchors && !c->err; i++) {
		struct kg_src_anchor *a = &src->anchors[i];
		struct kg_anchor_info *info = &out->anchor_info[i];

		out->anchors[i].kind = a->kind;
		out->anchors[i].id = a->kind == KG_ANCHOR_CERTS ? 0 : a->id;
		info->name = xstrdup(c, a->name);
		info->src = ref_of(c, a->loc);
		info->kind = a->kind;
		info->keyring_description = xstrdup(c, a->keyring_description);
		for (size_t j = 0; j < a->n_certs && !c->err; j++) {
			struct kg_certificate *certs = NULL, *grown;
			size_t n = 0;

			if (load_certs(c, a->cert_paths[j], a->cert_locs[j], &certs, &n))
				continue;
			grown = realloc(info->certs, (info->n_certs + n) * sizeof(*grown));
			if (!grown) {
				free_certs(certs, n);
				c->err = -ENOMEM;
				break;
			}
			info->certs = grown;
			memcpy(info->certs + info->n_certs, certs, n * sizeof(*certs));
			info->n_certs += n;
			free(certs);
		}
	}
}

static void compile_revoked_certs(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	struct kg_compiled_policy *out = c->out;
	const char *other_anchor = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < out->n_anchors; i++)
		if (out->anchors[i].kind != KG_ANCHOR_CERTS && !other_anchor)
			other_anchor = out->anchor_info[i].name;
	for (size_t i = 0; i < src->n_revoked_certs && !c->err; i++) {
		struct kg_certificate *certs = NULL;
		size_t n = 0;

		if (load_certs(c, src->revoked_cert_paths[i], src->revoked_cert_locs[i], &certs, &n))
			continue;
		for (size_t k = 0; k < n && !c->err; k++) {
			if (kg_grow((void **)&out->revoked_certs, &cap, out->n_revoked_certs,
				    sizeof(*out->revoked_certs))) {
				c->err = -ENOMEM;
				break;
			}
			memcpy(out->revoked_certs[out->n_revoked_certs++], certs[k].sha256, 32);
			for (size_t a = 0; a < out->n_anchors; a++)
				for (size_t j = 0; j < out->anchor_info[a].n_certs; j++)
					if (memcmp(out->anchor_info[a].certs[j].sha256, certs[k].sha256, 32) == 0)
						kg_diag_add(c->diags, src, KG_SEV_WARNING,
							    src->revoked_cert_locs[i],
							    "certificate '%s' is both trusted by anchor '%s' and revoked: the agent leaves it out of that anchor's keyring",
							    src->revoked_cert_paths[i],
							    out->anchor_info[a].name);
			if (other_anchor)
				kg_diag_add(c->diags, src, KG_SEV_WARNING, src->revoked_cert_locs[i],
					    "revoking certificate '%s' only affects certificate anchors: keyring and system anchors such as '%s' may still trust it",
					    src->revoked_cert_paths[i], other_anchor);
		}
		free_certs(certs, n);
	}
}

/* The first anchor of that name, or -1. */
static int find_anchor(const struct compiler *c, const char *name)
{
	const struct kg_source_policy *src = c->src;
	size_t lo = 0, hi = src->n_anchors;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(src->anchors[c->anchor_order[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < src->n_anchors && strcmp(src->anchors[c->anchor_order[lo]].name, name) == 0)
		return (int)c->anchor_order[lo];
	return -1;
}

static void report_undefined_anchor(struct compiler *c, const struct kg_src_rule *r, size_t k)
{
	struct kg_source_policy *src = c->src;
	/* A guess compares with every anchor: only among as many as a valid
	 * policy may have, or many undefined names cost quadratic time. */
	size_t n = src->n_anchors <= KG_MAX_ANCHORS ? src->n_anchors : 0;
	const char **names = xcalloc(c, n, sizeof(*names));
	const char *guess;

	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		names[i] = src->anchors[i].name;
	guess = n ? kg_did_you_mean(r->anchor_names[k], names, n) : NULL;
	if (guess)
		kg_diag_add(c->diags, src, KG_SEV_ERROR, r->anchor_locs[k],
			    "rule '%s' names undefined anchor '%s'; did you mean '%s'?", r->name,
			    r->anchor_names[k], guess);
	else
		kg_diag_add(c->diags, src, KG_SEV_ERROR, r->anchor_locs[k],
			    "rule '%s' names undefined anchor '%s'", r->name, r->anchor_names[k]);
	free(names);
}

static void compile_rules(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	struct kg_compiled_policy *out = c->out;
	uint64_t used = 0;

	out->rules = xcalloc(c, src->n_rules, sizeof(*out->rules));
	out->rule_info = xcalloc(c, src->n_rules, sizeof(*out->rule_info));
	if (c->err)
		return;
	out->n_rules = src->n_rules;
	for (size_t i = 0; i < src->n_rules && !c->err; i++) {
		struct kg_src_rule *r = &src->rules[i];
		struct kg_rule *rule = &out->rules[i];
		struct kg_rule_info *info = &out->rule_info[i];
		uint32_t mode = r->mode ? r->mode : src->mode;

		rule->id = (uint32_t)i;
		rule->ops = r->ops;
		rule->requirement = r->requirement;
		rule->on_failure = mode == KG_MODE_ENFORCE ? KG_FAIL_DENY : KG_FAIL_AUDIT;
		rule->flags = r->flags;
		rule->src_line = r->loc.line;
		for (size_t k = 0; k < r->n_anchor_names; k++) {
			int a = find_anchor(c, r->anchor_names[k]);

			if (a < 0)
				report_undefined_anchor(c, r, k);
			else if (a < 64)
				rule->anchors |= 1ull << a;
			if (a >= 0)
				used |= 1ull << (a % 64);
		}
		info->name = xstrdup(c, r->name);
		info->src = ref_of(c, r->loc);
		if (r->n_scopes == 1 && r->scopes[0].path[0] == '\0')
			continue;
		info->paths = xcalloc(c, r->n_scopes, sizeof(*info->paths));
		if (!info->paths)
			break;
		for (size_t k = 0; k < r->n_scopes; k++)
			info->paths[info->n_paths++] = xstrdup(c, r->scopes[k].path);
	}
	for (size_t a = 0; a < src->n_anchors && a < 64; a++)
		if (!(used & (1ull << a)))
			kg_diag_add(c->diags, src, KG_SEV_WARNING, src->anchors[a].loc,
				    "anchor '%s' is not used by any rule", src->anchors[a].name);
}

/* One (scope, rule) pair of the source policy. */
struct scope_use {
	const char *path;
	size_t len;
	uint32_t rule;
	uint32_t scope; /* index in the rule's scopes */
};

static int compare_uses(const void *a, const void *b)
{
	const struct scope_use *x = a, *y = b;
	int cmp = strcmp(x->path, y->path);

	if (cmp)
		return cmp;
	return (x->rule > y->rule) - (x->rule < y->rule);
}

static int compare_entry_path(const void *key, const void *elem)
{
	const struct kg_path_entry *e = elem;

	return strcmp(key, e->key.path);
}

static void describe_ops(uint32_t ops, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (uint32_t op = 0; op < KG_OP_COUNT; op++)
		if (ops & (1u << op))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 kg_op_name(op));
}

static void report_shadowed(struct compiler *c, const struct scope_use *use, uint32_t winner,
			    uint32_t ops)
{
	const struct kg_src_rule *r = &c->src->rules[use->rule], *w = &c->src->rules[winner];
	char op_list[128];

	describe_ops(ops, op_list, sizeof(op_list));
	kg_diag_add(c->diags, c->src, KG_SEV_WARNING, r->scopes[use->scope].loc,
		    "rule '%s' is shadowed by rule '%s' (%s:%u) for %s in %s", r->name, w->name,
		    file_of(c, w->loc), w->loc.line, op_list,
		    use->path[0] ? use->path : "the scope 'everything'");
}

/* Where the table overflows: the scope introduced (in merge order) as
 * number KG_MAX_PATHS + 1, counting the "everything" entry first. */
struct first_use {
	uint32_t rule, scope;
};

static int compare_first_use(const void *a, const void *b)
{
	const struct first_use *x = a, *y = b;

	if (x->rule != y->rule)
		return (x->rule > y->rule) - (x->rule < y->rule);
	return (x->scope > y->scope) - (x->scope < y->scope);
}

static void report_too_many_paths(struct compiler *c, const struct first_use *firsts, size_t n)
{
	struct first_use *sorted = xcalloc(c, n, sizeof(*sorted));
	const struct kg_src_rule *r;

	if (!sorted)
		return;
	/* Entry 0 is "everything", always present; the rest were added by rules. */
	memcpy(sorted, firsts + 1, (n - 1) * sizeof(*sorted));
	qsort(sorted, n - 1, sizeof(*sorted), compare_first_use);
	r = &c->src->rules[sorted[KG_MAX_PATHS - 1].rule];
	kg_diag_add(c->diags, c->src, KG_SEV_ERROR, r->scopes[sorted[KG_MAX_PATHS - 1].scope].loc,
		    "too many distinct scopes: %zu (the kernel map holds KG_MAX_PATHS = %d)", n,
		    KG_MAX_PATHS);
	free(sorted);
}

static void compile_paths(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	struct kg_compiled_policy *out = c->out;
	struct scope_use *uses = NULL;
	struct first_use *firsts = NULL;
	size_t n_uses = 0, n_entries = 0;

	for (size_t i = 0; i < src->n_rules; i++)
		n_uses += src->rules[i].n_scopes;
	uses = xcalloc(c, n_uses + 1, sizeof(*uses));
	if (!uses)
		return;
	n_uses = 0;
	/* The "everything" entry always exists, with no rule of its own. */
	uses[n_uses++] = (struct scope_use){ "", 0, UINT32_MAX, 0 };
	for (size_t i = 0; i < src->n_rules; i++)
		for (size_t k = 0; k < src->rules[i].n_scopes; k++)
			uses[n_uses++] = (struct scope_use){ src->rules[i].scopes[k].path,
							     strlen(src->rules[i].scopes[k].path),
							     (uint32_t)i, (uint32_t)k };
	/* UINT32_MAX sorts the placeholder after the real rules of "". */
	qsort(uses, n_uses, sizeof(*uses), compare_uses);
	for (size_t i = 0; i < n_uses; i++)
		if (i == 0 || strcmp(uses[i].path, uses[i - 1].path) != 0)
			n_entries++;
	out->paths = xcalloc(c, n_entries, sizeof(*out->paths));
	firsts = xcalloc(c, n_entries, sizeof(*firsts));
	if (c->err)
		goto out;
	out->n_paths = n_entries;

	/* Per scope: the first rule (merge order) for each operation. */
	for (size_t i = 0, e = (size_t)-1; i < n_uses; i++) {
		struct kg_path_entry *entry;
		const struct scope_use *use = &uses[i];
		uint32_t rule_ops, shadowed = 0, winner = 0;

		if (i == 0 || strcmp(use->path, uses[i - 1].path) != 0) {
			e++;
			entry = &out->paths[e];
			entry->key.len = (uint32_t)use->len;
			memcpy(entry->key.path, use->path, use->len);
			for (int op = 0; op < KG_OP_COUNT; op++)
				entry->value.rule[op] = KG_RULE_NONE;
			firsts[e] = (struct first_use){ use->rule, use->scope };
		}
		entry = &out->paths[e];
		if (use->rule == UINT32_MAX)
			continue;
		rule_ops = src->rules[use->rule].ops;
		for (uint32_t op = 0; op < KG_OP_COUNT; op++) {
			if (!(rule_ops & (1u << op)))
				continue;
			if (entry->value.rule[op] == KG_RULE_NONE) {
				entry->value.rule[op] = use->rule;
			} else {
				if (!shadowed)
					winner = entry->value.rule[op];
				shadowed |= 1u << op;
			}
		}
		if (shadowed)
			report_shadowed(c, use, winner, shadowed);
	}

	/* Inherit from the nearest enclosing scope in the table. */
	for (size_t i = 0; i < n_entries; i++) {
		struct kg_path_entry *entry = &out->paths[i];
		char prefix[KG_PATH_KEY_BYTES];
		const struct kg_path_entry *parent = NULL;

		if (entry->key.len == 0)
			continue;
		/* Walk up: longest enclosing directory prefix first, then "". */
		memcpy(prefix, entry->key.path, entry->key.len + 1);
		for (size_t k = entry->key.len - 1; k > 0 && !parent; k--) {
			if (prefix[k - 1] != '/')
				continue;
			prefix[k] = '\0';
			parent = bsearch(prefix, out->paths, n_entries, sizeof(*out->paths),
					 compare_entry_path);
		}
		if (!parent)
			parent = &out->paths[0];
		/* A parent sorts before its children (it is their prefix), so it
		 * has already inherited from its own parents. */
		for (int op = 0; op < KG_OP_COUNT; op++)
			if (entry->value.rule[op] == KG_RULE_NONE)
				entry->value.rule[op] = parent->value.rule[op];
	}
	if (n_entries > KG_MAX_PATHS)
		report_too_many_paths(c, firsts, n_entries);
out:
	free(uses);
	free(firsts);
}

static void compile_revoked(struct compiler *c)
{
	struct kg_source_policy *src = c->src;
	struct kg_compiled_policy *out = c->out;

	out->revoked = xcalloc(c, src->n_revoked, sizeof(*out->revoked));
	if (!out->revoked)
		return;
	out->n_revoked = src->n_revoked;
	for (size_t i = 0; i < src->n_revoked; i++) {
		out->revoked[i].digest_algo = src->revoked[i].algo;
		out->revoked[i].digest_size = src->revoked[i].size;
		memcpy(out->revoked[i].digest, src->revoked[i].digest, src->revoked[i].size);
	}
}

/* Limits are checked last so a too-large policy is still compiled in full
 * (the benchmark measures that) and every other problem is reported. */
static void check_limits(struct compiler *c)
{
	struct kg_source_policy *src = c->src;

	if (src->n_rules > KG_MAX_RULES)
		kg_diag_add(c->diags, src, KG_SEV_ERROR, src->rules[KG_MAX_RULES].loc,
			    "too many rules: %zu (the kernel map holds KG_MAX_RULES = %d)",
			    src->n_rules, KG_MAX_RULES);
	if (src->n_anchors > KG_MAX_ANCHORS)
		kg_diag_add(c->diags, src, KG_SEV_ERROR, src->anchors[KG_MAX_ANCHORS].loc,
			    "too many anchors: %zu (rules refer to anchors with a 64-bit mask, KG_MAX_ANCHORS = %d)",
			    src->n_anchors, KG_MAX_ANCHORS);
	if (src->n_revoked > KG_MAX_REVOKED)
		kg_diag_add(c->diags, src, KG_SEV_ERROR, src->revoked[KG_MAX_REVOKED].loc,
			    "too many revoked digests: %zu (the kernel map holds KG_MAX_REVOKED = %d)",
			    src->n_revoked, KG_MAX_REVOKED);
}

/* How strict an outcome is for a load with no file: a rule that fails
 * (deny, or signed: no file to verify) in enforce, then in audit, then an
 * allow rule. Default actions rank the same way as their outcome. */
static int rule_strictness(const struct kg_rule *r)
{
	if (r->requirement == KG_REQ_ALLOW)
		return 1;
	return r->on_failure == KG_FAIL_DENY ? 3 : 2;
}

static int default_strictness(uint32_t action)
{
	return action == KG_DEFAULT_DENY ? 3 : action == KG_DEFAULT_AUDIT ? 2 : 0;
}

/* A buffer has no path, so it cannot pick a scope: it follows the
 * strictest rule covering the operation anywhere (the first one in policy
 * order among equals), or the default action when some path falls to the
 * default (no rule in the "everything" scope) and it is stricter still. */
static void compile_buffer_rules(struct compiler *c)
{
	struct kg_compiled_policy *out = c->out;

	for (uint32_t op = 0; op < KG_OP_COUNT; op++) {
		uint32_t best = KG_RULE_NONE;
		int best_rank = 0;

		for (size_t i = 0; i < out->n_rules; i++) {
			int rank = rule_strictness(&out->rules[i]);

			if ((out->rules[i].ops & (1u << op)) && rank > best_rank) {
				best = (uint32_t)i;
				best_rank = rank;
			}
		}
		if (out->paths[0].value.rule[op] == KG_RULE_NONE &&
		    default_strictness(out->config.default_action[op]) > best_rank)
			best = KG_RULE_NONE;
		out->config.buffer_rule[op] = best;
	}
}

static uint32_t stricter(uint32_t a, uint32_t b)
{
	static const int rank[] = { [KG_FAIL_ALLOW] = 0, [KG_FAIL_AUDIT] = 1, [KG_FAIL_DENY] = 2 };

	return rank[a] >= rank[b] ? a : b;
}

/*
 * What a decision on OP that fails before its rule is known does: the
 * strictest outcome any rule covering OP, or the default, could have had.
 * A `signed` or `deny` rule contributes its failure action, an `allow` rule
 * allows.
 */
static uint32_t unresolved_outcome(const struct kg_compiled_policy *out, uint32_t default_action,
				   int op)
{
	uint32_t outcome = default_action == KG_DEFAULT_DENY	? KG_FAIL_DENY
			   : default_action == KG_DEFAULT_AUDIT ? KG_FAIL_AUDIT
								: KG_FAIL_ALLOW;

	for (size_t i = 0; i < out->n_rules; i++) {
		const struct kg_rule *r = &out->rules[i];

		if (!(r->ops & (1u << op)))
			continue;
		outcome = stricter(outcome, r->requirement == KG_REQ_ALLOW ? KG_FAIL_ALLOW
									   : r->on_failure);
	}
	return outcome;
}

static void compile_config(struct compiler *c)
{
	struct kg_compiled_policy *out = c->out;
	struct kg_policy_config *cfg = &out->config;

	cfg->mode = out->mode;
	cfg->n_rules = (uint32_t)out->n_rules;
	for (size_t i = 0; i < out->n_rules; i++)
		cfg->ops_covered |= out->rules[i].ops;
	for (int op = 0; op < KG_OP_COUNT; op++) {
		cfg->default_action[op] = c->src->default_action[op];
		/* An operation whose default is not "allow" needs the programs'
		 * attention even when no rule names it. */
		if (cfg->default_action[op] != KG_DEFAULT_ALLOW)
			cfg->ops_covered |= 1u << op;
		cfg->fail_action[op] = unresolved_outcome(out, cfg->default_action[op], op);
	}
	compile_buffer_rules(c);
	cfg->everything = out->paths[0].value;
}

int kg_compile(struct kg_source_policy *src, struct kg_compiled_policy **out_policy,
	       struct kg_diagnostics *diags)
{
	struct compiler c = { .src = src, .diags = diags };
	struct kg_compiled_policy *out;
	uint8_t *body = NULL;
	size_t body_len = 0;

	*out_policy = NULL;
	if (src->n_sources == 0) {
		kg_diag_add_file(diags, KG_SEV_ERROR, "<none>", 0, 0, "no policy files given");
		return -EINVAL;
	}
	check_header(&c);
	if (diags->errors)
		return -EINVAL;
	if (src->n_rules == 0) {
		kg_diag_add(diags, src, KG_SEV_ERROR, first_loc(), "policy has no rules");
		return -EINVAL;
	}
	out = calloc(1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	c.out = out;
	out->sources = xcalloc(&c, src->n_sources, sizeof(*out->sources));
	if (out->sources)
		for (size_t i = 0; i < src->n_sources; i++)
			out->sources[out->n_sources++] = xstrdup(&c, src->sources[i]);
	out->name = xstrdup(&c, src->name);
	out->version = src->version;
	out->mode = src->mode ? src->mode : KG_MODE_ENFORCE;
	src->mode = out->mode;
	memcpy(out->sig_xattr, src->sig_xattr, sizeof(out->sig_xattr));

	check_duplicate_names(&c);
	check_duplicate_rules(&c);
	if (!c.err)
		compile_anchors(&c);
	if (!c.err)
		compile_revoked_certs(&c);
	if (!c.err)
		compile_rules(&c);
	if (!c.err)
		compile_paths(&c);
	if (!c.err)
		compile_revoked(&c);
	if (!c.err)
		compile_config(&c);
	if (!c.err)
		check_limits(&c);
	if (!c.err && !diags->errors)
		c.err = kg_policy_body(out, &body, &body_len);
	free(c.anchor_order);
	if (c.err || diags->errors) {
		kg_policy_free(out);
		return c.err ? c.err : -EINVAL;
	}
	kg_sha256(body, body_len, out->digest);
	memcpy(out->config.digest, out->digest, sizeof(out->digest));
	free(body);
	*out_policy = out;
	return 0;
}

void kg_policy_free(struct kg_compiled_policy *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->rules);
	for (size_t i = 0; p->rule_info && i < p->n_rules; i++) {
		free(p->rule_info[i].name);
		for (size_t k = 0; k < p->rule_info[i].n_paths; k++)
			free(p->rule_info[i].paths[k]);
		free(p->rule_info[i].paths);
	}
	free(p->rule_info);
	free(p->anchors);
	for (size_t i = 0; p->anchor_info && i < p->n_anchors; i++) {
		free(p->anchor_info[i].name);
		free(p->anchor_info[i].keyring_description);
		for (size_t k = 0; k < p->anchor_info[i].n_certs; k++)
			kg_cert_free(&p->anchor_info[i].certs[k]);
		free(p->anchor_info[i].certs);
	}
	free(p->anchor_info);
	free(p->paths);
	free(p->revoked);
	free(p->revoked_certs);
	for (size_t i = 0; i < p->n_sources; i++)
		free(p->sources[i]);
	free(p->sources);
	free(p);
}

const struct kg_path_entry *kg_policy_lookup(const struct kg_compiled_policy *p, const char *path)
{
	size_t len = strlen(path);
	char prefix[KG_PATH_KEY_BYTES];
	const struct kg_path_entry *e;

	if (len <= KG_PATH_MAX) {
		e = bsearch(path, p->paths, p->n_paths, sizeof(*p->paths), compare_entry_path);
		if (e)
			return e;
	}
	for (size_t k = len; k > 0; k--) {
		if (path[k - 1] != '/' || k > KG_PATH_MAX || k == len)
			continue;
		memcpy(prefix, path, k);
		prefix[k] = '\0';
		e = bsearch(prefix, p->paths, p->n_paths, sizeof(*p->paths), compare_entry_path);
		if (e)
			return e;
	}
	return &p->paths[0];
}

int kg_policy_is_audit_only(const struct kg_compiled_policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].requirement != KG_REQ_ALLOW && p->rules[i].on_failure != KG_FAIL_AUDIT)
			return 0;
	for (int op = 0; op < KG_OP_COUNT; op++)
		if (p->config.default_action[op] == KG_DEFAULT_DENY)
			return 0;
	return 1;
}
