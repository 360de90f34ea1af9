// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * parse.c - one YAML document -> struct kg_source_policy. Checks the shape
 * of the document (keys, types, names, paths); cross-references (anchor
 * names, duplicates across files, limits) are compile.c's job, the merged
 * source policy's files, repeated digests and freeing source.c's. Every
 * problem becomes a diagnostic at the node it is about (parse_nodes.h
 * reads the nodes).
 *
 * One file: it follows the document's grammar top-down (root, header,
 * anchors, rules, revocations), each section a few functions over the
 * same parser state; the grammar reads best in one place, next to
 * keygate-policy(5).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal.h"
#include "parse_nodes.h"

/*
 * Checks an absolute, normalised path and returns its scope key: directory
 * prefixes end with '/', exact files do not.
 */
static char *scope_path(struct parser *p, const yaml_node_t *node, bool directory)
{
	const char *s = get_string(p, node, directory ? "a path" : "a file");
	size_t len;
	char *out;

	if (!s)
		return NULL;
	len = strlen(s);
	if (s[0] != '/') {
		error_at(p, node, "path '%s' is not absolute", s);
		return NULL;
	}
	for (const char *c = s + 1; c <= s + len; c++) {
		const char *start = c;

		while (*c && *c != '/')
			c++;
		if (c - start == 0 && *c == '/') {
			error_at(p, node, "path '%s' is not normalised: it contains '//'", s);
			return NULL;
		}
		if ((c - start == 1 && start[0] == '.') ||
		    (c - start == 2 && start[0] == '.' && start[1] == '.')) {
			error_at(p, node, "path '%s' is not normalised: it contains '%.*s'", s,
				 (int)(c - start), start);
			return NULL;
		}
	}
	if (!directory && s[len - 1] == '/') {
		error_at(p, node, "file '%s' ends with '/': list directories under 'paths'", s);
		return NULL;
	}
	if (directory && s[len - 1] != '/')
		len++;
	if (len > KG_PATH_MAX) {
		error_at(p, node, "path '%s' is %zu bytes; the kernel matches at most %d (KG_PATH_MAX)",
			 s, len, KG_PATH_MAX);
		return NULL;
	}
	out = malloc(len + 1);
	if (!out) {
		p->err = -ENOMEM;
		return NULL;
	}
	memcpy(out, s, strlen(s));
	if (directory)
		out[len - 1] = '/';
	out[len] = '\0';
	return out;
}

/* A certificate path as written, resolved against the policy's directory. */
static char *cert_path(struct parser *p, const yaml_node_t *node)
{
	const char *s = get_string(p, node, "a certificate path");
	char *out = NULL;

	if (!s)
		return NULL;
	if (s[0] == '/' || !p->dir)
		return xstrdup(p, s);
	if (asprintf(&out, "%s/%s", p->dir, s) < 0) {
		p->err = -ENOMEM;
		return NULL;
	}
	return out;
}

static bool header_key_once(struct parser *p, struct kg_src_header_key *h, const char *key,
			    const yaml_node_t *node)
{
	if (h->set) {
		const char *file = h->loc.file < p->src->n_sources ? p->src->sources[h->loc.file] : "?";

		error_at(p, node, "'policy.%s' is already defined at %s:%u:%u", key, file, h->loc.line,
			 h->loc.col);
		return false;
	}
	h->set = true;
	h->loc = loc_of(p, node);
	return true;
}

static const char *const mode_words[] = { "enforce", "audit" };
static const char *const action_words[] = { "allow", "deny", "audit" };

static void parse_default(struct parser *p, const yaml_node_t *node)
{
	static const char *const op_words[KG_OP_COUNT] = {
		"exec", "mmap_exec", "mprotect_exec", "open_read",
		"module_file", "module_buffer", "firmware", "kexec",
	};
	int action;

	if (node->type == YAML_SCALAR_NODE) {
		action = get_keyword(p, node, "default action", action_words, 3);
		if (action < 0)
			return;
		for (int op = 0; op < KG_OP_COUNT; op++)
			p->src->default_action[op] = (uint32_t)action + KG_DEFAULT_ALLOW;
		return;
	}
	if (node->type != YAML_MAPPING_NODE) {
		error_at(p, node, "'default' must be allow, deny, audit or a mapping of operations, not %s",
			 type_name(node));
		return;
	}
	yaml_node_t *values[KG_OP_COUNT];

	if (!read_map(p, node, "'default'", op_words, KG_OP_COUNT, values))
		return;
	for (int op = 0; op < KG_OP_COUNT; op++) {
		if (!values[op])
			continue;
		action = get_keyword(p, values[op], "default action", action_words, 3);
		if (action >= 0)
			p->src->default_action[op] = (uint32_t)action + KG_DEFAULT_ALLOW;
	}
}

static void parse_header(struct parser *p, const yaml_node_t *node)
{
	static const char *const keys[] = { "name", "version", "mode", "default", "signature_xattr" };
	struct kg_source_policy *src = p->src;
	yaml_node_t *v[5];
	const char *s;
	int kw;

	if (!read_map(p, node, "'policy'", keys, 5, v))
		return;
	src->have_policy_section = true;
	if (v[0] && header_key_once(p, &src->h_name, "name", v[0]) &&
	    (s = get_name(p, v[0], "policy name")))
		src->name = xstrdup(p, s);
	if (v[1] && header_key_once(p, &src->h_version, "version", v[1]))
		get_uint(p, v[1], "'version'", UINT64_MAX, &src->version);
	if (v[2] && header_key_once(p, &src->h_mode, "mode", v[2]) &&
	    (kw = get_keyword(p, v[2], "mode", mode_words, 2)) >= 0)
		src->mode = kw == 0 ? KG_MODE_ENFORCE : KG_MODE_AUDIT;
	if (v[3] && header_key_once(p, &src->h_default, "default", v[3]))
		parse_default(p, v[3]);
	if (v[4] && header_key_once(p, &src->h_xattr, "signature_xattr", v[4]) &&
	    (s = get_string(p, v[4], "'signature_xattr'"))) {
		bool user = strncmp(s, "user.", 5) == 0 && s[5];
		bool bpf = strncmp(s, "security.bpf.", 13) == 0 && s[13];

		if (!user && !bpf)
			error_at(p, v[4],
				 "signature_xattr '%s' must start with 'user.' or 'security.bpf.' (the only names BPF programs can read)",
				 s);
		else if (strlen(s) >= KG_XATTR_NAME_MAX)
			error_at(p, v[4], "signature_xattr '%s' is longer than %d bytes", s,
				 KG_XATTR_NAME_MAX - 1);
		else
			snprintf(src->sig_xattr, sizeof(src->sig_xattr), "%s", s);
	}
}

/* The 'name' an anchor or rule (node) must have, given as value, copied;
 * NULL once reported missing or invalid. */
static char *required_name(struct parser *p, const yaml_node_t *node, const yaml_node_t *value,
			   const char *what, const char *kind)
{
	const char *s;

	if (!value) {
		error_at(p, node, "%s has no 'name'", what);
		return NULL;
	}
	s = get_name(p, value, kind);
	return s ? xstrdup(p, s) : NULL;
}

/*
 * The description in a keyring anchor's string: "NAME", or keyctl(1)'s
 * "%keyring:NAME" and "%:NAME" for a keyring described NAME.
 */
static const char *keyring_description(struct parser *p, const yaml_node_t *node, const char *s)
{
	const char *colon;

	if (s[0] == '%') {
		colon = strchr(s, ':');
		if (!colon) {
			error_at(p, node, "keyring '%s' is not '%%keyring:NAME' or '%%:NAME'", s);
			return NULL;
		}
		if (colon != s + 1 && strncmp(s + 1, "keyring:", 8) != 0) {
			error_at(p, node, "keyring '%s' names a key of type '%.*s'; a trust anchor is a keyring ('%%keyring:NAME')",
				 s, (int)(colon - s - 1), s + 1);
			return NULL;
		}
		s = colon + 1;
	}
	if (!*s) {
		error_at(p, node, "keyring description is empty");
		return NULL;
	}
	return s;
}

static void parse_anchor(struct parser *p, const yaml_node_t *node)
{
	static const char *const keys[] = { "name", "certificates", "system", "keyring" };
	static const char *const system_words[] = { "builtin", "secondary", "platform" };
	struct kg_src_anchor a = { 0 };
	const char *peek = peek_name(p, node);
	yaml_node_t *v[4];
	char what[96];
	const char *s;
	int kinds = 0, kw;
	bool ok = true;

	snprintf(what, sizeof(what), peek ? "anchor '%s'" : "an anchor", peek);
	if (!read_map(p, node, what, keys, 4, v))
		return;
	a.loc = loc_of(p, node);
	a.name = required_name(p, node, v[0], what, "anchor name");
	if (!a.name)
		ok = false;
	kinds = !!v[1] + !!v[2] + !!v[3];
	if (kinds == 0) {
		error_at(p, node, "%s needs one of 'certificates', 'keyring' or 'system'", what);
		ok = false;
	} else if (kinds > 1) {
		error_at(p, node, "%s gives more than one of 'certificates', 'keyring' and 'system'",
			 what);
		ok = false;
	} else if (v[1]) {
		yaml_node_t *item;

		a.kind = KG_ANCHOR_CERTS;
		if (!check_list(p, v[1], "'certificates'", false)) {
			ok = false;
		} else {
			size_t n = (size_t)(v[1]->data.sequence.items.top - v[1]->data.sequence.items.start);

			a.cert_paths = calloc(n, sizeof(*a.cert_paths));
			a.cert_locs = calloc(n, sizeof(*a.cert_locs));
			if (!a.cert_paths || !a.cert_locs) {
				p->err = -ENOMEM;
				ok = false;
			}
			for_each_item(p, v[1], item) {
				char *path;

				if (!ok)
					break;
				path = cert_path(p, item);
				if (!path) {
					ok = false;
					break;
				}
				a.cert_locs[a.n_certs] = loc_of(p, item);
				a.cert_paths[a.n_certs++] = path;
			}
		}
	} else if (v[2]) {
		a.kind = KG_ANCHOR_SYSTEM;
		kw = get_keyword(p, v[2], "system keyring", system_words, 3);
		if (kw < 0)
			ok = false;
		else
			a.id = (uint64_t)kw; /* KG_SYSTEM_* in the same order */
	} else {
		a.kind = KG_ANCHOR_KEYRING;
		if (v[3]->type == YAML_SCALAR_NODE && is_plain_uint(v[3])) {
			if (get_uint(p, v[3], "keyring serial", INT32_MAX, &a.id))
				ok = false;
			else if (a.id == 0) {
				error_at(p, v[3], "keyring serial must not be 0");
				ok = false;
			}
		} else if ((s = get_string(p, v[3], "'keyring'")) &&
			   (s = keyring_description(p, v[3], s))) {
			a.keyring_description = xstrdup(p, s);
		} else {
			ok = false;
		}
	}
	if (ok && !p->err &&
	    !kg_grow((void **)&p->src->anchors, &p->src->cap_anchors, p->src->n_anchors,
		     sizeof(a))) {
		p->src->anchors[p->src->n_anchors++] = a;
		return;
	}
	kg_src_anchor_free(&a);
}

static bool add_scope(struct parser *p, struct kg_src_rule *r, size_t *cap, char *path,
		      struct kg_loc loc)
{
	if (kg_grow((void **)&r->scopes, cap, r->n_scopes, sizeof(*r->scopes))) {
		p->err = -ENOMEM;
		free(path);
		return false;
	}
	r->scopes[r->n_scopes].path = path;
	r->scopes[r->n_scopes++].loc = loc;
	return true;
}

static int compare_scopes(const void *a, const void *b, void *arg)
{
	const struct kg_src_scope *scopes = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int cmp = strcmp(scopes[ia].path, scopes[ib].path);

	return cmp ? cmp : (ia > ib) - (ia < ib);
}

/* Drops each scope listed again in the same rule, with a warning there.
 * Sorted, not compared pairwise: a rule may list a million paths. */
static void drop_repeated_scopes(struct parser *p, struct kg_src_rule *r)
{
	size_t n = r->n_scopes, kept = 0;
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	bool *repeated = calloc(n ? n : 1, sizeof(*repeated));

	if (!order || !repeated) {
		p->err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), compare_scopes, r->scopes);
	for (size_t k = 1; k < n; k++)
		if (strcmp(r->scopes[order[k]].path, r->scopes[order[k - 1]].path) == 0)
			repeated[order[k]] = true;
	for (size_t i = 0; i < n; i++) {
		if (!repeated[i]) {
			r->scopes[kept++] = r->scopes[i];
			continue;
		}
		kg_diag_add(p->diags, p->src, KG_SEV_WARNING, r->scopes[i].loc,
			    "'%s' is listed twice in rule '%s'", r->scopes[i].path,
			    r->name ? r->name : "?");
		free(r->scopes[i].path);
	}
	r->n_scopes = kept;
out:
	free(order);
	free(repeated);
}

static bool parse_scopes(struct parser *p, struct kg_src_rule *r, size_t *cap,
			 const yaml_node_t *list, bool directory)
{
	const char *what = directory ? "'paths'" : "'files'";
	yaml_node_t *item;
	bool ok = true;

	if (!check_list(p, list, what, false))
		return false;
	for_each_item(p, list, item) {
		char *path = scope_path(p, item, directory);

		if (!path || !add_scope(p, r, cap, path, loc_of(p, item)))
			ok = false;
	}
	return ok;
}

/* firmware and kexec also come from buffers (platform firmware,
 * kexec_load), which have no path: they follow the strictest rule covering
 * the operation in any scope, so a scoped rule that can fail may decide
 * them everywhere. */
static void warn_buffer_scope(struct parser *p, const struct kg_src_rule *r, int op,
			      const yaml_node_t *explicit_item, const yaml_node_t *operations)
{
	static const char *const syscall[KG_OP_COUNT] = {
		[KG_OP_FIRMWARE] = "platform firmware", [KG_OP_KEXEC] = "kexec_load",
	};
	const char *name = kg_op_name((uint32_t)op);

	if (!(r->ops & (1u << op)))
		return;
	warn_at(p, explicit_item ? explicit_item : operations,
		"%s from a buffer (%s) has no path: it is decided by the strictest rule covering %s in any scope, which may be this one, and a buffer fails 'signed'",
		name, syscall[op], name);
}

static void parse_rule(struct parser *p, const yaml_node_t *node)
{
	static const char *const keys[] = { "name", "operations", "paths", "files",
					    "require", "anchors", "mode", "log" };
	static const char *const op_words[KG_OP_COUNT + 1] = {
		"exec", "mmap_exec", "mprotect_exec", "open_read",
		"module_file", "module_buffer", "firmware", "kexec", "all",
	};
	static const char *const require_words[] = { "signed", "allow", "deny" };
	static const char *const log_words[] = { "failures", "all" };
	struct kg_src_rule r = { 0 };
	const char *peek = peek_name(p, node);
	yaml_node_t *v[8], *item, *explicit_buffer = NULL, *explicit_op[KG_OP_COUNT] = { NULL };
	size_t scope_cap = 0;
	bool ok = true, all = false;
	char what[96];
	const char *s;
	int kw;

	snprintf(what, sizeof(what), peek ? "rule '%s'" : "a rule", peek);
	if (!read_map(p, node, what, keys, 8, v))
		return;
	r.loc = loc_of(p, node);
	r.name = required_name(p, node, v[0], what, "rule name");
	if (!r.name)
		ok = false;
	if (!v[1]) {
		error_at(p, node, "%s has no 'operations'", what);
		ok = false;
	} else if (check_list(p, v[1], "'operations'", false)) {
		for_each_item(p, v[1], item) {
			kw = get_keyword(p, item, "operation", op_words, KG_OP_COUNT + 1);
			if (kw < 0)
				ok = false;
			else if (kw == KG_OP_COUNT)
				all = true;
			else
				r.ops |= 1u << kw;
			if (kw == KG_OP_MODULE_BUFFER)
				explicit_buffer = item;
			if (kw >= 0 && kw < KG_OP_COUNT)
				explicit_op[kw] = item;
		}
	} else {
		ok = false;
	}
	if (v[2] && !parse_scopes(p, &r, &scope_cap, v[2], true))
		ok = false;
	if (v[3] && !parse_scopes(p, &r, &scope_cap, v[3], false))
		ok = false;
	drop_repeated_scopes(p, &r);
	if (all)
		r.ops |= (1u << KG_OP_COUNT) - 1;
	if (v[2] || v[3]) {
		/* A buffer has no path: scoped rules cannot cover it. */
		if (explicit_buffer) {
			error_at(p, explicit_buffer,
				 "module_buffer has no file, so it cannot be scoped by 'paths' or 'files': put it in a rule without them");
			ok = false;
		}
		r.ops &= ~(1u << KG_OP_MODULE_BUFFER);
	} else if (ok && !p->err) {
		char *everything = xstrdup(p, "");

		if (!everything || !add_scope(p, &r, &scope_cap, everything, r.loc))
			ok = false;
	}
	if (!v[4]) {
		error_at(p, node, "%s has no 'require' (signed, allow or deny)", what);
		ok = false;
	} else if ((kw = get_keyword(p, v[4], "requirement", require_words, 3)) >= 0) {
		r.requirement = (uint32_t)kw + KG_REQ_SIGNED;
		if ((v[2] || v[3]) && r.requirement != KG_REQ_ALLOW) {
			warn_buffer_scope(p, &r, KG_OP_FIRMWARE, explicit_op[KG_OP_FIRMWARE], v[1]);
			warn_buffer_scope(p, &r, KG_OP_KEXEC, explicit_op[KG_OP_KEXEC], v[1]);
		}
	} else {
		ok = false;
	}
	if (v[5]) {
		if (r.requirement && r.requirement != KG_REQ_SIGNED) {
			error_at(p, v[5], "'anchors' is only valid with 'require: signed'");
			ok = false;
		} else if (check_list(p, v[5], "'anchors'", false)) {
			size_t n = (size_t)(v[5]->data.sequence.items.top - v[5]->data.sequence.items.start);

			r.anchor_names = calloc(n, sizeof(*r.anchor_names));
			r.anchor_locs = calloc(n, sizeof(*r.anchor_locs));
			if (!r.anchor_names || !r.anchor_locs) {
				p->err = -ENOMEM;
				ok = false;
			}
			for_each_item(p, v[5], item) {
				if (!ok)
					break;
				s = get_string(p, item, "an anchor name");
				if (!s) {
					ok = false;
					break;
				}
				r.anchor_locs[r.n_anchor_names] = loc_of(p, item);
				r.anchor_names[r.n_anchor_names] = xstrdup(p, s);
				if (!r.anchor_names[r.n_anchor_names++])
					ok = false;
			}
		} else {
			ok = false;
		}
	} else if (r.requirement == KG_REQ_SIGNED) {
		error_at(p, node, "%s requires a signature but names no 'anchors'", what);
		ok = false;
	}
	if (v[6]) {
		kw = get_keyword(p, v[6], "mode", mode_words, 2);
		if (kw < 0)
			ok = false;
		else
			r.mode = kw == 0 ? KG_MODE_ENFORCE : KG_MODE_AUDIT;
	}
	if (v[7]) {
		kw = get_keyword(p, v[7], "log setting", log_words, 2);
		if (kw < 0)
			ok = false;
		else if (kw == 1)
			r.flags |= KG_RULE_LOG_ALLOWED;
	}
	if (ok && !p->err &&
	    !kg_grow((void **)&p->src->rules, &p->src->cap_rules, p->src->n_rules, sizeof(r))) {
		p->src->rules[p->src->n_rules++] = r;
		return;
	}
	kg_src_rule_free(&r);
}

static void parse_revoked_digest(struct parser *p, const yaml_node_t *node)
{
	struct kg_source_policy *src = p->src;
	struct kg_src_digest d = { 0 };
	const char *s = get_string(p, node, "a revoked digest");
	const char *hex;
	size_t hex_len;

	if (!s)
		return;
	if (strncmp(s, "sha256:", 7) == 0) {
		d.algo = 1; /* FS_VERITY_HASH_ALG_SHA256 */
		d.size = 32;
		hex = s + 7;
	} else if (strncmp(s, "sha512:", 7) == 0) {
		d.algo = 2; /* FS_VERITY_HASH_ALG_SHA512 */
		d.size = 64;
		hex = s + 7;
	} else {
		goto bad;
	}
	hex_len = strlen(hex);
	if (hex_len != 2u * d.size)
		goto bad;
	for (size_t i = 0; i < d.size; i++) {
		int hi = kg_hex_value(hex[2 * i]), lo = kg_hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		d.digest[i] = (uint8_t)(hi << 4 | lo);
	}
	d.loc = loc_of(p, node);
	if (kg_grow((void **)&src->revoked, &src->cap_revoked, src->n_revoked, sizeof(d))) {
		p->err = -ENOMEM;
		return;
	}
	src->revoked[src->n_revoked++] = d;
	return;
bad:
	error_at(p, node,
		 "revoked digest '%s' must be 'sha256:' and 64 hex digits or 'sha512:' and 128 hex digits",
		 s);
}

static void parse_revocations(struct parser *p, const yaml_node_t *node)
{
	static const char *const keys[] = { "digests", "certificates" };
	struct kg_source_policy *src = p->src;
	yaml_node_t *v[2], *item;

	if (!read_map(p, node, "'revocations'", keys, 2, v))
		return;
	if (v[0] && check_list(p, v[0], "'digests'", true))
		for_each_item(p, v[0], item)
			parse_revoked_digest(p, item);
	if (v[1] && check_list(p, v[1], "'certificates'", true)) {
		for_each_item(p, v[1], item) {
			char *path = cert_path(p, item);

			if (!path)
				continue;
			struct kg_loc *locs;

			if (kg_grow((void **)&src->revoked_cert_paths, &src->cap_revoked_certs,
				    src->n_revoked_certs, sizeof(char *)) ||
			    !(locs = realloc(src->revoked_cert_locs,
					     src->cap_revoked_certs * sizeof(*locs)))) {
				free(path);
				p->err = -ENOMEM;
				return;
			}
			src->revoked_cert_locs = locs;
			src->revoked_cert_locs[src->n_revoked_certs] = loc_of(p, item);
			src->revoked_cert_paths[src->n_revoked_certs++] = path;
		}
	}
}

static void parse_root(struct parser *p, const yaml_node_t *root)
{
	static const char *const keys[] = { "keygate", "policy", "anchors", "rules", "revocations" };
	yaml_node_t *v[5], *item;
	uint64_t schema;

	if (!read_map(p, root, "the policy file", keys, 5, v))
		return;
	if (!v[0]) {
		error_at(p, root, "missing 'keygate: 1' (the schema version) at the top level");
		return;
	}
	if (get_uint(p, v[0], "'keygate'", UINT32_MAX, &schema))
		return;
	if (schema != 1) {
		error_at(p, v[0], "unsupported schema version %llu: this keygate reads version 1",
			 (unsigned long long)schema);
		return;
	}
	if (v[1])
		parse_header(p, v[1]);
	if (v[2] && check_list(p, v[2], "'anchors'", true))
		for_each_item(p, v[2], item)
			parse_anchor(p, item);
	if (v[3] && check_list(p, v[3], "'rules'", true))
		for_each_item(p, v[3], item)
			parse_rule(p, item);
	if (v[4])
		parse_revocations(p, v[4]);
}

static void syntax_error(struct parser *p, const yaml_parser_t *yp)
{
	struct kg_loc loc = { p->file, (uint32_t)yp->problem_mark.line + 1,
			      (uint32_t)yp->problem_mark.column + 1 };

	if (yp->error == YAML_MEMORY_ERROR) {
		p->err = -ENOMEM;
		return;
	}
	if (yp->context)
		kg_diag_add(p->diags, p->src, KG_SEV_ERROR, loc, "YAML syntax error: %s %s",
			    yp->problem ? yp->problem : "invalid YAML", yp->context);
	else
		kg_diag_add(p->diags, p->src, KG_SEV_ERROR, loc, "YAML syntax error: %s",
			    yp->problem ? yp->problem : "invalid YAML");
}

/*
 * Reports the first mapping or list nested deeper than KG_NESTING_MAX,
 * before libyaml builds the document: its scanner keeps one entry per open
 * flow collection and walks them all for every token, so a deeply nested
 * file costs time quadratic in its depth. Stopping at the limit bounds
 * that walk. Syntax errors are left to the loader, which meets them at the
 * same place.
 */
static bool nesting_within_limit(struct parser *p, const char *buf, size_t len)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	unsigned int depth = 0;
	bool within = true, done = false;

	if (!yaml_parser_initialize(&yp)) {
		p->err = -ENOMEM;
		return false;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	while (!done && yaml_parser_parse(&yp, &ev)) {
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > KG_NESTING_MAX) {
				struct kg_loc loc = { p->file, (uint32_t)ev.start_mark.line + 1,
						      (uint32_t)ev.start_mark.column + 1 };

				kg_diag_add(p->diags, p->src, KG_SEV_ERROR, loc,
					    "mappings and lists are nested more than %d levels deep",
					    KG_NESTING_MAX);
				within = false;
				done = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (yp.error == YAML_MEMORY_ERROR) {
		p->err = -ENOMEM;
		within = false;
	}
	yaml_parser_delete(&yp);
	return within;
}

static char *directory_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *dir;

	if (!slash)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	dir = strndup(file, (size_t)(slash - file));
	return dir;
}

int kg_parse_document(struct kg_source_policy *src, uint32_t file, const char *buf, size_t len,
		      struct kg_diagnostics *diags)
{
	struct parser p = { .src = src, .diags = diags, .file = file };
	yaml_document_t doc, extra;
	bool have_doc = false;
	yaml_parser_t yp;
	yaml_node_t *root;

	if (!nesting_within_limit(&p, buf, len))
		return p.err;
	if (!yaml_parser_initialize(&yp))
		return -ENOMEM;
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &doc)) {
		syntax_error(&p, &yp);
		goto out;
	}
	have_doc = true;
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		struct kg_loc loc = { file, 1, 1 };

		kg_diag_add(diags, src, KG_SEV_ERROR, loc, "empty document: expected a keygate policy");
		goto out;
	}
	if (!yaml_parser_load(&yp, &extra)) {
		syntax_error(&p, &yp);
		goto out;
	}
	if (yaml_document_get_root_node(&extra)) {
		struct kg_loc loc = { file, (uint32_t)extra.start_mark.line + 1,
				      (uint32_t)extra.start_mark.column + 1 };

		kg_diag_add(diags, src, KG_SEV_ERROR, loc,
			    "a policy file holds one YAML document; use drop-in files for more");
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);
	p.n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
	p.visited = calloc(p.n_nodes ? p.n_nodes : 1, 1);
	if (file < src->n_sources && src->sources[file][0] != '<')
		p.dir = directory_of(src->sources[file]);
	if (!p.visited || (file < src->n_sources && src->sources[file][0] != '<' && !p.dir)) {
		p.err = -ENOMEM;
		goto out;
	}
	p.visited[0] = 1;
	parse_root(&p, root);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	free(p.visited);
	free(p.dir);
	return p.err;
}
