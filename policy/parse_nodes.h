/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * parse_nodes.h - parse.c's readers of YAML nodes: the parser's state,
 * diagnostics at a node, and typed access (strings, bounded integers,
 * keywords, mappings with known keys, lists, names). Included by parse.c
 * only: static helpers, one translation unit.
 */
#ifndef KEYGATE_PARSE_NODES_H
#define KEYGATE_PARSE_NODES_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal.h"

struct parser {
	struct kg_source_policy *src;
	struct kg_diagnostics *diags;
	yaml_document_t *doc;
	uint32_t file;
	char *dir;         /* directory of the file, for relative certificate paths */
	uint8_t *visited;  /* per node: an alias makes a node appear twice */
	size_t n_nodes;
	int err;           /* -ENOMEM once an allocation failed */
};

static struct kg_loc loc_of(const struct parser *p, const yaml_node_t *node)
{
	struct kg_loc loc = { p->file, (uint32_t)node->start_mark.line + 1,
			      (uint32_t)node->start_mark.column + 1 };
	return loc;
}

__attribute__((format(printf, 4, 5))) static void diag_at(struct parser *p,
							  const yaml_node_t *node,
							  enum kg_severity sev,
							  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kg_diag_add(p->diags, p->src, sev, loc_of(p, node), "%s", msg);
}

#define error_at(p, node, ...) diag_at(p, node, KG_SEV_ERROR, __VA_ARGS__)
#define warn_at(p, node, ...) diag_at(p, node, KG_SEV_WARNING, __VA_ARGS__)

static char *xstrdup(struct parser *p, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		p->err = -ENOMEM;
	return copy;
}

static const char *type_name(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (node->data.scalar.length == 0 || strcmp((char *)node->data.scalar.value, "~") == 0 ||
		     strcmp((char *)node->data.scalar.value, "null") == 0))
			return "empty";
		return "a scalar";
	default:
		return "nothing";
	}
}

/* A child node; each node may be reached once, which rules out aliases
 * (and with them exponential "billion laughs" documents). */
static yaml_node_t *child(struct parser *p, int index, const yaml_node_t *parent)
{
	yaml_node_t *node = yaml_document_get_node(p->doc, index);
	size_t i = (size_t)index - 1;

	if (!node)
		return NULL;
	if (i < p->n_nodes) {
		if (p->visited[i]) {
			error_at(p, parent, "YAML aliases are not supported in keygate policy");
			return NULL;
		}
		p->visited[i] = 1;
	}
	return node;
}

/* The scalar's text, or NULL after reporting why it is not a string. */
static const char *get_string(struct parser *p, const yaml_node_t *node, const char *what)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE || strcmp(type_name(node), "empty") == 0) {
		error_at(p, node, "%s must be a string, not %s", what, type_name(node));
		return NULL;
	}
	s = (const char *)node->data.scalar.value;
	if (strlen(s) != node->data.scalar.length) {
		error_at(p, node, "%s contains a NUL byte", what);
		return NULL;
	}
	return s;
}

static bool is_plain_uint(const yaml_node_t *node)
{
	const char *s = (const char *)node->data.scalar.value;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int get_uint(struct parser *p, const yaml_node_t *node, const char *what, uint64_t max,
		    uint64_t *out)
{
	const char *s = (const char *)node->data.scalar.value;
	uint64_t v = 0;

	if (node->type != YAML_SCALAR_NODE) {
		error_at(p, node, "%s must be an unsigned integer, not %s", what, type_name(node));
		return -EINVAL;
	}
	if (!is_plain_uint(node)) {
		error_at(p, node, "%s must be an unsigned integer, not '%s'", what, s);
		return -EINVAL;
	}
	for (; *s; s++) {
		if (v > (max - (uint64_t)(*s - '0')) / 10) {
			error_at(p, node, "%s is too large (at most %llu)", what,
				 (unsigned long long)max);
			return -EINVAL;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Matches a keyword; reports "unknown WHAT 'x'; did you mean 'y'?" otherwise. */
static int get_keyword(struct parser *p, const yaml_node_t *node, const char *what,
		       const char *const *words, size_t n_words)
{
	const char *s = get_string(p, node, what);
	const char *guess;
	char expected[256] = "";

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n_words; i++)
		if (strcmp(s, words[i]) == 0)
			return (int)i;
	guess = kg_did_you_mean(s, words, n_words);
	if (guess) {
		error_at(p, node, "unknown %s '%s'; did you mean '%s'?", what, s, guess);
		return -EINVAL;
	}
	for (size_t i = 0; i < n_words; i++) {
		size_t len = strlen(expected);

		snprintf(expected + len, sizeof(expected) - len, "%s%s",
			 i == 0 ? "" : i + 1 == n_words ? " or " : ", ", words[i]);
	}
	error_at(p, node, "unknown %s '%s' (expected %s)", what, s, expected);
	return -EINVAL;
}

/*
 * Collects the values of a mapping by key: values[i] for keys[i], NULL when
 * absent. Reports unknown and duplicate keys. Returns false when map is not
 * a mapping.
 */
static bool read_map(struct parser *p, const yaml_node_t *map, const char *what,
		     const char *const *keys, size_t n_keys, yaml_node_t **values)
{
	memset(values, 0, n_keys * sizeof(*values));
	if (map->type != YAML_MAPPING_NODE) {
		error_at(p, map, "%s must be a mapping, not %s", what, type_name(map));
		return false;
	}
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = child(p, pair->key, map);
		yaml_node_t *value = child(p, pair->value, map);
		const char *name, *guess;
		size_t i;

		if (!key || !value)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			error_at(p, key, "keys in %s must be strings, not %s", what, type_name(key));
			continue;
		}
		name = (const char *)key->data.scalar.value;
		for (i = 0; i < n_keys; i++)
			if (strcmp(name, keys[i]) == 0)
				break;
		if (i == n_keys) {
			guess = kg_did_you_mean(name, keys, n_keys);
			if (guess)
				error_at(p, key, "unknown key '%s' in %s; did you mean '%s'?", name,
					 what, guess);
			else
				error_at(p, key, "unknown key '%s' in %s", name, what);
			continue;
		}
		if (values[i]) {
			error_at(p, key, "duplicate key '%s' in %s (first at line %lu)", name, what,
				 (unsigned long)values[i]->start_mark.line + 1);
			continue;
		}
		values[i] = value;
	}
	return true;
}

/* Iterates a list node; reports when it is not one. */
static bool check_list(struct parser *p, const yaml_node_t *node, const char *what,
		       bool allow_empty)
{
	if (node->type != YAML_SEQUENCE_NODE) {
		error_at(p, node, "%s must be a list, not %s", what, type_name(node));
		return false;
	}
	if (!allow_empty && node->data.sequence.items.start == node->data.sequence.items.top) {
		error_at(p, node, "%s is empty", what);
		return false;
	}
	return true;
}

#define for_each_item(p, list, item)                                                     \
	for (yaml_node_item_t *it_ = (list)->data.sequence.items.start;                  \
	     it_ < (list)->data.sequence.items.top; it_++)                               \
		if (((item) = child((p), *it_, (list))) != NULL)

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > KG_NAME_MAX)
		return false;
	for (const char *c = s; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.';

		if (!ok)
			return false;
	}
	return true;
}

static const char *get_name(struct parser *p, const yaml_node_t *node, const char *what)
{
	const char *s = get_string(p, node, what);

	if (s && !valid_name(s)) {
		error_at(p, node,
			 "%s '%s' is invalid: use letters, digits, '-', '_' and '.' (at most %d)",
			 what, s, KG_NAME_MAX);
		return NULL;
	}
	return s;
}

/* The value of key "name" without visiting it: labels for messages. */
static const char *peek_name(struct parser *p, const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(p->doc, pair->value);

		if (key && value && key->type == YAML_SCALAR_NODE &&
		    value->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)key->data.scalar.value, "name") == 0 &&
		    valid_name((const char *)value->data.scalar.value))
			return (const char *)value->data.scalar.value;
	}
	return NULL;
}

#endif /* KEYGATE_PARSE_NODES_H */
