// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* signature.c - detached PKCS#7/CMS policy signatures with libcrypto. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keygate_signature.h"

/* The flags of `openssl cms -sign -binary -noattr` (detached by default). */
#define SIGN_FLAGS (CMS_BINARY | CMS_DETACHED | CMS_NOATTR | CMS_PARTIAL)

static void crypto_why(char *why, size_t why_len, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[160] = "no detail from libcrypto";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(why, why_len, "%s: %s", what, reason);
	ERR_clear_error();
}

int kg_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	int err = 0;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0) {
		err = -errno;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		err = -EIO;
		goto out;
	}
	*out = buf;
	*len = (size_t)st.st_size;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return err;
}

int kg_policy_signature_path(const char *const *paths, size_t n_paths, char *out, size_t len)
{
	struct stat st;
	int n;

	if (!n_paths)
		return -ENOENT;
	if (stat(paths[0], &st) == 0 && S_ISDIR(st.st_mode))
		n = snprintf(out, len, "%s/policy.sig", paths[0]);
	else
		n = snprintf(out, len, "%s.sig", paths[0]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Every certificate of a PEM file, or the one of a DER file. */
static STACK_OF(X509) *load_certs(const char *path, char *why, size_t why_len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *bio = BIO_new_file(path, "rb");
	X509 *x;

	if (!certs || !bio) {
		snprintf(why, why_len, "cannot read '%s': %s", path, strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		sk_X509_push(certs, x);
	ERR_clear_error();
	if (sk_X509_num(certs) == 0) {
		(void)BIO_reset(bio);
		x = d2i_X509_bio(bio, NULL);
		if (!x) {
			crypto_why(why, why_len, "no X.509 certificate (PEM or DER) in the anchor file");
			goto fail;
		}
		sk_X509_push(certs, x);
	}
	BIO_free(bio);
	return certs;
fail:
	BIO_free(bio);
	sk_X509_pop_free(certs, X509_free);
	return NULL;
}

static void name_text(const X509_NAME *name, char *out, size_t len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (!mem)
		return;
	X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253);
	n = BIO_read(mem, out, (int)len - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(mem);
}

int kg_signature_sign(const uint8_t *data, size_t len, const char *key_path,
		      const char *cert_path, uint8_t **sig, size_t *sig_len, char *why,
		      size_t why_len)
{
	BIO *in = NULL, *kb = NULL, *cb = NULL;
	CMS_ContentInfo *cms = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	unsigned char *der = NULL;
	int n, err = -EINVAL;

	kb = BIO_new_file(key_path, "rb");
	cb = BIO_new_file(cert_path, "rb");
	if (!kb || !cb) {
		err = -errno;
		snprintf(why, why_len, "cannot read '%s': %s", kb ? cert_path : key_path,
			 strerror(errno));
		goto out;
	}
	key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (!key) {
		crypto_why(why, why_len, "no PEM private key in the key file");
		goto out;
	}
	cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (!cert) {
		crypto_why(why, why_len, "no PEM certificate in the certificate file");
		goto out;
	}
	in = BIO_new_mem_buf(data, (int)len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, SIGN_FLAGS);
	if (!in || !cms || !CMS_add1_signer(cms, cert, key, EVP_sha256(), SIGN_FLAGS) ||
	    !CMS_final(cms, in, NULL, SIGN_FLAGS)) {
		crypto_why(why, why_len, "signing failed");
		goto out;
	}
	n = i2d_CMS_ContentInfo(cms, &der);
	if (n <= 0) {
		crypto_why(why, why_len, "encoding the signature failed");
		goto out;
	}
	*sig = malloc((size_t)n);
	if (!*sig) {
		err = -ENOMEM;
		snprintf(why, why_len, "%s", strerror(ENOMEM));
		goto out;
	}
	memcpy(*sig, der, (size_t)n);
	*sig_len = (size_t)n;
	err = 0;
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(in);
	BIO_free(kb);
	BIO_free(cb);
	return err;
}

static CMS_ContentInfo *parse(const uint8_t *sig, size_t sig_len, CMS_SignerInfo **si)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len);
	STACK_OF(CMS_SignerInfo) *sis;

	if (!cms)
		return NULL;
	sis = CMS_get0_SignerInfos(cms);
	if (!sis || sk_CMS_SignerInfo_num(sis) != 1) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	*si = sk_CMS_SignerInfo_value(sis, 0);
	return cms;
}

/* Names the signer of SI: a matching certificate's subject, else its id. */
static void signer_name(CMS_ContentInfo *cms, CMS_SignerInfo *si, STACK_OF(X509) *extra,
			char *out, size_t len)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	char name[200];

	for (int pass = 0; pass < 2; pass++) {
		STACK_OF(X509) *set = pass ? extra : certs;

		for (int i = 0; set && i < sk_X509_num(set); i++)
			if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(set, i)) == 0) {
				name_text(X509_get_subject_name(sk_X509_value(set, i)), out, len);
				goto out;
			}
	}
	snprintf(out, len, "unknown");
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) && issuer && serial) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		name_text(issuer, name, sizeof(name));
		snprintf(out, len, "issuer %s serial %s", name, hex ? hex : "?");
		OPENSSL_free(hex);
		BN_free(bn);
	}
out:
	sk_X509_pop_free(certs, X509_free);
}

int kg_signature_describe(const uint8_t *sig, size_t sig_len, struct kg_signature_info *info)
{
	CMS_SignerInfo *si = NULL;
	CMS_ContentInfo *cms = parse(sig, sig_len, &si);

	memset(info, 0, sizeof(*info));
	if (!cms) {
		ERR_clear_error();
		info->verified = -EBADMSG;
		snprintf(info->why, sizeof(info->why),
			 "not a DER PKCS#7/CMS signature with one signer");
		snprintf(info->signer, sizeof(info->signer), "unknown");
		return -EBADMSG;
	}
	signer_name(cms, si, NULL, info->signer, sizeof(info->signer));
	CMS_ContentInfo_free(cms);
	return 0;
}

int kg_signature_verify(const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len,
			const char *anchor_path, struct kg_signature_info *info)
{
	STACK_OF(X509) *anchors = NULL;
	CMS_SignerInfo *si = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *content = NULL;
	bool known = false;
	int err = 0;

	err = kg_signature_describe(sig, sig_len, info);
	if (err)
		return 0; /* info says why */
	anchors = load_certs(anchor_path, info->why, sizeof(info->why));
	if (!anchors) {
		err = -EINVAL;
		goto out;
	}
	cms = parse(sig, sig_len, &si);
	for (int i = 0; cms && i < sk_X509_num(anchors); i++)
		known |= CMS_SignerInfo_cert_cmp(si, sk_X509_value(anchors, i)) == 0;
	if (!known) {
		info->verified = -ENOKEY;
		snprintf(info->why, sizeof(info->why), "the signer is not a certificate of %s",
			 anchor_path);
		goto out;
	}
	signer_name(cms, si, anchors, info->signer, sizeof(info->signer));
	content = BIO_new_mem_buf(data, (int)len);
	if (content && CMS_verify(cms, anchors, NULL, content, NULL,
				  CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) == 1) {
		info->verified = 1;
	} else {
		info->verified = -EKEYREJECTED;
		crypto_why(info->why, sizeof(info->why), "the signature does not cover this policy");
	}
out:
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	sk_X509_pop_free(anchors, X509_free);
	return err;
}
