// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * cert.c - certificate files for CERTS anchors: PEM (one or more
 * CERTIFICATE blocks) or DER. We check the DER structure of an X.509
 * Certificate (SEQUENCE { tbsCertificate, signatureAlgorithm, signature })
 * and read the subject for humans; the kernel's asymmetric key parser does
 * the full validation when the agent adds the key to its keyring.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define CERT_FILE_MAX (1u << 20)

#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CONTEXT_0 0xa0

struct der {
	const uint8_t *p;
	size_t len;
};

/* Splits the next TLV off *in. Only definite lengths (DER). */
static int der_next(struct der *in, uint8_t *tag, struct der *content)
{
	size_t len, header = 2;

	if (in->len < 2)
		return -EINVAL;
	*tag = in->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return -EINVAL; /* high tag numbers never occur in certificates */
	len = in->p[1];
	if (len & 0x80) {
		size_t n = len & 0x7f;

		if (n == 0 || n > 4 || in->len < 2 + n)
			return -EINVAL;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | in->p[2 + i];
		header += n;
	}
	if (len > in->len - header)
		return -EINVAL;
	content->p = in->p + header;
	content->len = len;
	in->p += header + len;
	in->len -= header + len;
	return 0;
}

static int der_expect(struct der *in, uint8_t want, struct der *content)
{
	uint8_t tag;

	if (der_next(in, &tag, content) || tag != want)
		return -EINVAL;
	return 0;
}

struct text {
	char *p;
	size_t len, cap;
};

static int text_append(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->p, cap);

		if (!p)
			return -ENOMEM;
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 0;
}

static const struct {
	const char *name;
	uint8_t oid[9];
	size_t len;
} attribute_names[] = {
	{ "CN", { 0x55, 0x04, 0x03 }, 3 },
	{ "O", { 0x55, 0x04, 0x0a }, 3 },
	{ "OU", { 0x55, 0x04, 0x0b }, 3 },
	{ "C", { 0x55, 0x04, 0x06 }, 3 },
	{ "L", { 0x55, 0x04, 0x07 }, 3 },
	{ "ST", { 0x55, 0x04, 0x08 }, 3 },
	{ "emailAddress", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9 },
};

static int append_oid(struct text *t, struct der oid)
{
	char buf[32];
	uint64_t value = 0;
	bool first = true;
	int err;

	for (size_t i = 0; i < sizeof(attribute_names) / sizeof(attribute_names[0]); i++)
		if (oid.len == attribute_names[i].len &&
		    memcmp(oid.p, attribute_names[i].oid, oid.len) == 0)
			return text_append(t, attribute_names[i].name,
					   strlen(attribute_names[i].name));
	for (size_t i = 0; i < oid.len; i++) {
		if (value > (UINT64_MAX >> 7))
			return text_append(t, "?", 1);
		value = value << 7 | (oid.p[i] & 0x7f);
		if (oid.p[i] & 0x80)
			continue;
		if (first)
			snprintf(buf, sizeof(buf), "%u.%llu", value < 80 ? (unsigned)(value / 40) : 2,
				 (unsigned long long)(value < 80 ? value % 40 : value - 80));
		else
			snprintf(buf, sizeof(buf), ".%llu", (unsigned long long)value);
		err = text_append(t, buf, strlen(buf));
		if (err)
			return err;
		first = false;
		value = 0;
	}
	return 0;
}

/* Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY } as "CN=x, O=y". */
static int format_name(struct der name, char **out)
{
	struct text t = { 0 };
	int err = 0;

	while (name.len) {
		struct der set, atv, oid, value;
		uint8_t tag;

		if (der_expect(&name, DER_SET, &set)) {
			err = -EINVAL;
			goto out;
		}
		while (set.len) {
			if (der_expect(&set, DER_SEQUENCE, &atv) || der_expect(&atv, DER_OID, &oid) ||
			    der_next(&atv, &tag, &value)) {
				err = -EINVAL;
				goto out;
			}
			if (t.len && (err = text_append(&t, ", ", 2)))
				goto out;
			if ((err = append_oid(&t, oid)) || (err = text_append(&t, "=", 1)))
				goto out;
			for (size_t i = 0; i < value.len; i++) {
				char c = (char)value.p[i];

				if (value.p[i] < 0x20 || value.p[i] >= 0x7f)
					c = '?';
				if ((err = text_append(&t, &c, 1)))
					goto out;
			}
		}
	}
	if (!t.p && (err = text_append(&t, "", 0)))
		goto out;
	*out = t.p;
	t.p = NULL;
out:
	free(t.p);
	return err;
}

int kg_cert_parse_der(const uint8_t *der, size_t len, char **subject, char *why, size_t why_len)
{
	struct der in = { der, len }, cert, tbs, field;
	uint8_t tag;

	*subject = NULL;
	if (der_expect(&in, DER_SEQUENCE, &cert)) {
		snprintf(why, why_len, "not a DER SEQUENCE");
		return -EINVAL;
	}
	if (in.len) {
		snprintf(why, why_len, "%zu trailing bytes after the certificate", in.len);
		return -EINVAL;
	}
	if (der_expect(&cert, DER_SEQUENCE, &tbs) || der_expect(&cert, DER_SEQUENCE, &field) ||
	    der_expect(&cert, DER_BIT_STRING, &field) || cert.len) {
		snprintf(why, why_len,
			 "not an X.509 Certificate (SEQUENCE of tbsCertificate, algorithm, signature)");
		return -EINVAL;
	}
	/* tbsCertificate: [0] version OPTIONAL, serial, signature, issuer,
	 * validity, subject, subjectPublicKeyInfo, ... */
	if (tbs.len && tbs.p[0] == DER_CONTEXT_0 && der_next(&tbs, &tag, &field))
		goto bad_tbs;
	if (der_expect(&tbs, DER_INTEGER, &field) || der_expect(&tbs, DER_SEQUENCE, &field) ||
	    der_expect(&tbs, DER_SEQUENCE, &field) || der_expect(&tbs, DER_SEQUENCE, &field) ||
	    der_expect(&tbs, DER_SEQUENCE, &field))
		goto bad_tbs;
	if (format_name(field, subject)) {
		*subject = NULL;
		goto bad_tbs;
	}
	if (der_expect(&tbs, DER_SEQUENCE, &field)) {
		free(*subject);
		*subject = NULL;
		goto bad_tbs;
	}
	return 0;
bad_tbs:
	snprintf(why, why_len, "malformed tbsCertificate");
	return -EINVAL;
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 text (whitespace ignored, '=' ends it). */
static int base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *buf = malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=')
			break;
		v = base64_value(s[i]);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	*out = buf;
	*out_len = n;
	return 0;
}

static void *memmem_or_null(const void *hay, size_t hay_len, const char *needle)
{
	return memmem(hay, hay_len, needle, strlen(needle));
}

static int add_cert(struct kg_certificate **certs, size_t *n, size_t *cap, const char *path,
		    uint8_t *der, size_t der_len, char *why, size_t why_len)
{
	struct kg_certificate *c;
	char *subject = NULL;
	int err;

	err = kg_cert_parse_der(der, der_len, &subject, why, why_len);
	if (err)
		goto fail;
	err = kg_grow((void **)certs, cap, *n, sizeof(**certs));
	if (err)
		goto fail;
	c = &(*certs)[*n];
	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path) {
		err = -ENOMEM;
		goto fail;
	}
	c->der = der;
	c->der_len = der_len;
	c->subject = subject;
	kg_sha256(der, der_len, c->sha256);
	(*n)++;
	return 0;
fail:
	free(subject);
	free(der);
	return err;
}

static int parse_pem(const char *path, const char *text, size_t len, struct kg_certificate **certs,
		     size_t *n, size_t *cap, char *why, size_t why_len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const char *p = text, *limit = text + len;
	int err;

	while (p < limit) {
		const char *b = memmem_or_null(p, (size_t)(limit - p), begin);
		const char *e;
		uint8_t *der;
		size_t der_len;

		if (!b)
			break;
		b += sizeof(begin) - 1;
		e = memmem_or_null(b, (size_t)(limit - b), end);
		if (!e) {
			snprintf(why, why_len, "PEM certificate block without an END line");
			return -EINVAL;
		}
		err = base64_decode(b, (size_t)(e - b), &der, &der_len);
		if (err) {
			snprintf(why, why_len, "invalid base64 in a PEM certificate block");
			return err;
		}
		err = add_cert(certs, n, cap, path, der, der_len, why, why_len);
		if (err)
			return err;
		p = e + sizeof(end) - 1;
	}
	if (*n == 0) {
		const char *other = memmem_or_null(text, len, "-----BEGIN ");

		if (other) {
			const char *type = other + 11, *dash = memchr(type, '-', (size_t)(limit - type));
			int type_len = dash ? (int)(dash - type) : 0;

			if (type_len > 40)
				type_len = 40;
			snprintf(why, why_len, "holds a PEM '%.*s' block, not a CERTIFICATE", type_len,
				 type);
		} else {
			snprintf(why, why_len, "no PEM CERTIFICATE block");
		}
		return -EINVAL;
	}
	return 0;
}

int kg_cert_load(const char *path, struct kg_certificate **certs_out, size_t *n_out, char *why,
		 size_t why_len)
{
	struct kg_certificate *certs = NULL;
	size_t n = 0, cap = 0, len;
	uint8_t *data = NULL;
	struct stat st;
	FILE *f = NULL;
	int err;

	f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		snprintf(why, why_len, "%s", strerror(errno));
		goto out;
	}
	/* A FIFO or a terminal would block the compiler. */
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		snprintf(why, why_len, "not a regular file");
		goto out;
	}
	data = malloc(CERT_FILE_MAX + 1);
	if (!data) {
		err = -ENOMEM;
		snprintf(why, why_len, "%s", strerror(ENOMEM));
		goto out;
	}
	len = fread(data, 1, CERT_FILE_MAX + 1, f);
	if (ferror(f)) {
		err = -EIO;
		snprintf(why, why_len, "%s", strerror(EIO));
		goto out;
	}
	if (len > CERT_FILE_MAX) {
		err = -EFBIG;
		snprintf(why, why_len, "larger than %u bytes", CERT_FILE_MAX);
		goto out;
	}
	if (len > 0 && data[0] == DER_SEQUENCE) {
		uint8_t *der = malloc(len);

		if (!der) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(der, data, len);
		err = add_cert(&certs, &n, &cap, path, der, len, why, why_len);
	} else if (memmem_or_null(data, len, "-----BEGIN ")) {
		err = parse_pem(path, (const char *)data, len, &certs, &n, &cap, why, why_len);
	} else {
		err = -EINVAL;
		snprintf(why, why_len, "neither PEM nor DER");
	}
	if (err)
		goto out;
	*certs_out = certs;
	*n_out = n;
	certs = NULL;
	n = 0;
out:
	for (size_t i = 0; i < n; i++)
		kg_cert_free(&certs[i]);
	free(certs);
	free(data);
	if (f)
		fclose(f);
	return err;
}

void kg_cert_free(struct kg_certificate *cert)
{
	free(cert->path);
	free(cert->der);
	free(cert->subject);
}
