// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* policy_gate.c - policy-signing anchor, kernel verification requests, floor file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <keyutils.h>

#include "keygate_policy.h"
#include "keygate_signature.h"
#include "keyrings.h"
#include "log.h"
#include "policy_gate.h"

/* The kernel answers during the trigger call; another bpf() caller may be
 * slower to let go of a request, so the answer is polled for a while. */
#define ANSWER_TIMEOUT_MS 5000

int kg_policy_anchor_parse(const char *spec, struct kg_policy_anchor *out, char *why,
			   size_t why_len)
{
	static const char *const system[] = { "builtin", "secondary", "platform" };
	char *end;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(out->spec)) {
		snprintf(why, why_len, "the policy-signing anchor is longer than %zu bytes",
			 sizeof(out->spec) - 1);
		return -EINVAL;
	}
	strcpy(out->spec, spec);
	for (uint32_t i = 0; i < 3; i++)
		if (strcmp(spec, system[i]) == 0) {
			out->kind = KG_ANCHOR_SYSTEM;
			out->id = i; /* KG_SYSTEM_BUILTIN, _SECONDARY, _PLATFORM */
			return 0;
		}
	if (strncmp(spec, "keyring:", 8) == 0) {
		unsigned long long serial;

		errno = 0;
		serial = strtoull(spec + 8, &end, 0);
		if (errno || end == spec + 8 || *end || !serial || serial > INT32_MAX) {
			snprintf(why, why_len, "'%s': keyring: takes a keyring serial number", spec);
			return -EINVAL;
		}
		out->kind = KG_ANCHOR_KEYRING;
		out->id = serial;
		return 0;
	}
	if (strncmp(spec, "cert:", 5) == 0 && spec[5] == '/') {
		out->kind = KG_ANCHOR_KEYRING;
		return 0;
	}
	snprintf(why, why_len,
		 "'%s' is not a policy-signing anchor (builtin, secondary, platform, "
		 "keyring:SERIAL or cert:/ABSOLUTE/PATH)", spec);
	return -EINVAL;
}

int kg_policy_anchor_config(struct kg_policy_anchor *out, int *found, char *why, size_t why_len)
{
	char line[600];
	FILE *f = fopen(KG_POLICY_ANCHOR_CONFIG, "re");
	size_t n;
	int err;

	*found = 0;
	if (!f) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		snprintf(why, why_len, "%s: %s", KG_POLICY_ANCHOR_CONFIG, strerror(-err));
		return err;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	*found = 1;
	err = kg_policy_anchor_parse(line, out, why, why_len);
	if (err) {
		char inner[512];

		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, why_len, "%s: %s", KG_POLICY_ANCHOR_CONFIG, inner);
	}
	return err;
}

/* keyring:SERIAL must be a keyring only root controls, as keyring anchors. */
static int check_keyring(const struct kg_policy_anchor *a, char *why, size_t why_len)
{
	char *text = NULL, type[32];
	unsigned int uid, gid, perm;
	const char *untrusted;
	int err = 0;

	if (keyctl_describe_alloc((key_serial_t)a->id, &text) < 0) {
		err = -errno;
		snprintf(why, why_len, "policy-signing anchor %s: %s", a->spec, strerror(-err));
		return err;
	}
	if (sscanf(text, "%31[^;];%u;%u;%x;", type, &uid, &gid, &perm) != 4 ||
	    strcmp(type, "keyring") != 0) {
		snprintf(why, why_len, "policy-signing anchor %s is not a keyring", a->spec);
		err = -EINVAL;
		goto out;
	}
	untrusted = kg_keyring_untrusted(uid, perm, (uint32_t)geteuid());
	if (untrusted) {
		snprintf(why, why_len, "policy-signing anchor %s (owner uid %u, permissions %08x) "
			 "cannot be trusted: %s", a->spec, uid, perm, untrusted);
		err = -EPERM;
	}
out:
	free(text);
	return err;
}

int kg_policy_anchor_resolve(struct kg_policy_anchor *a, char *why, size_t why_len)
{
	struct kg_certificate *certs = NULL;
	char description[64], inner[256];
	key_serial_t ring;
	size_t n = 0;
	int err;

	if (strncmp(a->spec, "keyring:", 8) == 0)
		return check_keyring(a, why, why_len);
	if (strncmp(a->spec, "cert:", 5) != 0)
		return 0;
	err = kg_cert_load(a->spec + 5, &certs, &n, inner, sizeof(inner));
	if (err) {
		snprintf(why, why_len, "policy-signing anchor %s: %s", a->spec, inner);
		return err;
	}
	snprintf(description, sizeof(description), "keygate:policy-signing:%ld", (long)getpid());
	ring = add_key("keyring", description, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0) {
		err = -errno;
		snprintf(why, why_len, "policy-signing anchor %s: creating keyring %s failed: %s",
			 a->spec, description, strerror(-err));
		goto out;
	}
	a->created = ring;
	for (size_t i = 0; i < n; i++)
		if (add_key("asymmetric", NULL, certs[i].der, certs[i].der_len, ring) < 0) {
			err = -errno;
			snprintf(why, why_len, "policy-signing anchor %s: adding certificate %zu "
				 "to keyring %d failed: %s", a->spec, i + 1, ring, strerror(-err));
			goto out;
		}
	/* No key can be added or linked from now on, by anyone. */
	if (keyctl_restrict_keyring(ring, NULL, NULL) < 0 ||
	    keyctl_link(ring, KEY_SPEC_USER_KEYRING) < 0) {
		err = -errno;
		snprintf(why, why_len, "policy-signing anchor %s: sealing keyring %d failed: %s",
			 a->spec, ring, strerror(-err));
		goto out;
	}
	a->id = (uint32_t)ring;
	kg_log(KG_LOG_INFO, "policy-signing anchor %s: keyring %s (serial %d), %zu certificates, "
	       "restricted", a->spec, description, ring, n);
out:
	if (err)
		kg_policy_anchor_release(a);
	for (size_t i = 0; i < n; i++)
		kg_cert_free(&certs[i]);
	free(certs);
	return err;
}

void kg_policy_anchor_release(struct kg_policy_anchor *a)
{
	if (!a->created)
		return;
	keyctl_unlink(a->created, KEY_SPEC_PROCESS_KEYRING);
	keyctl_unlink(a->created, KEY_SPEC_USER_KEYRING);
	a->created = 0;
}

int kg_policy_floor_read(const char *path, uint64_t *version, uint8_t digest[KG_POLICY_DIGEST_LEN])
{
	char hex[2 * KG_POLICY_DIGEST_LEN + 2];
	FILE *f = fopen(path, "re");
	int n, err = 0;

	if (!f)
		return -errno;
	n = fscanf(f, "version %" SCNu64 " digest %65s", version, hex);
	if (n != 2 || strlen(hex) != 2 * KG_POLICY_DIGEST_LEN) {
		err = -EINVAL;
		goto out;
	}
	for (int i = 0; i < KG_POLICY_DIGEST_LEN; i++) {
		int hi = kg_hex_value(hex[2 * i]), lo = kg_hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			err = -EINVAL;
			goto out;
		}
		digest[i] = (uint8_t)(hi << 4 | lo);
	}
out:
	fclose(f);
	return err;
}

int kg_policy_floor_write(const char *path, uint64_t version,
			  const uint8_t digest[KG_POLICY_DIGEST_LEN])
{
	char hex[2 * KG_POLICY_DIGEST_LEN + 1], tmp[4096], dir[4096];
	int fd, dfd, err = 0;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	kg_hex_encode(hex, digest, KG_POLICY_DIGEST_LEN);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	if (fprintf(f, "version %" PRIu64 " digest %s\n", version, hex) < 0 || fflush(f) ||
	    fsync(fd))
		err = -errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (!err) {
		snprintf(dir, sizeof(dir), "%s", path);
		dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
out:
	if (err)
		unlink(tmp);
	return err;
}

int kg_signed_policy_load(const struct kg_compiled_policy *p, const char *const *paths,
			  size_t n_paths, const char *sig_path, struct kg_signed_policy *out,
			  char *why, size_t why_len)
{
	struct kg_signature_info info;
	int err;

	memset(out, 0, sizeof(*out));
	if (sig_path)
		snprintf(out->sig_path, sizeof(out->sig_path), "%s", sig_path);
	else if (kg_policy_signature_path(paths, n_paths, out->sig_path, sizeof(out->sig_path)))
		out->sig_path[0] = '\0'; /* the built-in policy has no signature */
	if (out->sig_path[0]) {
		err = kg_read_file(out->sig_path, KG_SIG_MAX, &out->sig, &out->sig_len);
		if (err == -ENOENT) {
			out->sig = NULL;
		} else if (err) {
			snprintf(why, why_len, "cannot read the policy signature %s: %s%s",
				 out->sig_path, strerror(-err),
				 err == -EFBIG ? " (at most 4096 bytes)" : "");
			return err;
		}
	}
	if (out->sig) {
		kg_signature_describe(out->sig, out->sig_len, &info);
		snprintf(out->signer, sizeof(out->signer), "%s", info.signer);
	}
	err = kg_policy_signed_part(p, &out->data, &out->len);
	if (err) {
		snprintf(why, why_len, "computing the signed part of policy %s: %s", p->name,
			 strerror(-err));
		kg_signed_policy_free(out);
	}
	return err;
}

void kg_signed_policy_free(struct kg_signed_policy *sp)
{
	free(sp->data);
	free(sp->sig);
	sp->data = sp->sig = NULL;
}

int kg_policy_gate_read(int gate_fd, struct kg_policy_gate *out)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(gate_fd, &zero, out) ? -errno : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Stages REQ and waits for the answer: the lookups themselves are the
 * bpf() calls whose hook takes the request. */
static int request(int stage_fd, int gate_fd, struct kg_policy_stage *req,
		   struct kg_policy_gate *gate)
{
	uint64_t deadline = now_ms() + ANSWER_TIMEOUT_MS;
	__u32 zero = 0, before;
	int err;

	err = kg_policy_gate_read(gate_fd, gate);
	if (err)
		return err;
	before = gate->requests;
	req->tgid = (uint32_t)getpid();
	if (bpf_map_update_elem(stage_fd, &zero, req, BPF_ANY))
		return -errno;
	do {
		err = kg_policy_gate_read(gate_fd, gate);
		if (err)
			return err;
		if (gate->requests != before)
			return 0;
		usleep(10000);
	} while (now_ms() < deadline);
	return -ETIME;
}

int kg_policy_gate_seal(int stage_fd, int gate_fd, const struct kg_policy_anchor *anchor,
			uint64_t floor_version, const uint8_t floor_digest[KG_POLICY_DIGEST_LEN],
			struct kg_policy_gate *gate)
{
	struct kg_policy_stage *req = calloc(1, sizeof(*req));
	int err;

	if (!req)
		return -ENOMEM;
	req->request = KG_POLICY_REQ_SEAL;
	req->anchor_kind = anchor->kind;
	req->anchor_id = anchor->id;
	req->floor_version = floor_version;
	if (floor_digest)
		memcpy(req->floor_digest, floor_digest, KG_POLICY_DIGEST_LEN);
	err = request(stage_fd, gate_fd, req, gate);
	free(req);
	return err;
}

int kg_policy_gate_load(int stage_fd, int gate_fd, uint32_t generation, const uint8_t *data,
			size_t len, const uint8_t *sig, size_t sig_len, struct kg_policy_gate *gate)
{
	struct kg_policy_stage *req;
	int err;

	if (len > KG_POLICY_SIGNED_MAX || sig_len > KG_SIG_MAX)
		return -E2BIG;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->request = KG_POLICY_REQ_LOAD;
	req->generation = generation;
	req->len = (uint32_t)len;
	req->sig_len = (uint32_t)sig_len;
	memcpy(req->data, data, len);
	memcpy(req->sig, sig, sig_len);
	err = request(stage_fd, gate_fd, req, gate);
	free(req);
	return err;
}

static const struct {
	const char *name, *text;
	int err;
} results[KG_POLICY_RESULT_COUNT] = {
	[KG_POLICY_NONE] = { "none", "no request answered yet", -EPROTO },
	[KG_POLICY_ACCEPTED] = { "accepted", "the kernel verified the signature and put the "
				 "policy in force", 0 },
	[KG_POLICY_SEALED] = { "sealed", "the policy-signing anchor is sealed", 0 },
	[KG_POLICY_ALREADY_SEALED] = { "already-sealed", "a policy-signing anchor was sealed "
				       "earlier; it stays until keygate stop or a reboot", -EEXIST },
	[KG_POLICY_NOT_SEALED] = { "not-sealed", "no policy-signing anchor is sealed", -EPERM },
	[KG_POLICY_MALFORMED] = { "malformed", "not the signed part of a compiled policy of "
				  "this ABI, or larger than the kernel side takes", -EBADMSG },
	[KG_POLICY_BAD_SIGNATURE] = { "bad-signature", "the signature does not verify over this "
				      "policy (other content, or not a PKCS#7 signature)",
				      -EKEYREJECTED },
	[KG_POLICY_UNKNOWN_SIGNER] = { "unknown-signer", "the signer is not in the "
				       "policy-signing keyring", -ENOKEY },
	[KG_POLICY_KEYRING_GONE] = { "keyring-gone", "the policy-signing keyring cannot be "
				     "looked up", -ENOKEY },
	[KG_POLICY_ROLLBACK] = { "rollback", "its version is lower than the version in force",
				 -EKEYREJECTED },
	[KG_POLICY_SAME_VERSION] = { "same-version", "its version is the version in force but "
				     "its digest differs", -EKEYREJECTED },
	[KG_POLICY_SLOT_MISMATCH] = { "slot-mismatch", "the maps do not hold this policy for "
				      "the generation requested", -ESTALE },
};

const char *kg_policy_result_name(uint32_t result)
{
	return result < KG_POLICY_RESULT_COUNT ? results[result].name : "unknown";
}

const char *kg_policy_result_text(uint32_t result)
{
	return result < KG_POLICY_RESULT_COUNT ? results[result].text : "an unknown answer";
}

int kg_policy_result_errno(uint32_t result)
{
	return result < KG_POLICY_RESULT_COUNT ? results[result].err : -EPROTO;
}
