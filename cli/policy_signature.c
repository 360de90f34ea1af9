// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* policy_signature.c - the signature part of `keygate policy show|check`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "policy_output.h"

void policy_signature_check(const struct kg_compiled_policy *policy, const char *const *paths,
			    size_t n_paths, const char *sig_path, const char *anchor,
			    struct policy_signature *out)
{
	static char default_path[4096];
	uint8_t *sig = NULL, *data = NULL;
	size_t sig_len = 0, len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!sig_path) {
		if (kg_policy_signature_path(paths, n_paths, default_path, sizeof(default_path)) ||
		    access(default_path, F_OK))
			return;
		sig_path = default_path;
	}
	out->path = sig_path;
	err = kg_read_file(sig_path, KG_SIG_MAX, &sig, &sig_len);
	if (err) {
		out->read_error = err;
		snprintf(out->info.why, sizeof(out->info.why), "cannot read the signature: %s%s",
			 strerror(-err), err == -EFBIG ? " (at most 4096 bytes)" : "");
		out->info.verified = err;
		goto out;
	}
	if (!anchor) {
		kg_signature_describe(sig, sig_len, &out->info);
		goto out;
	}
	err = kg_policy_signed_part(policy, &data, &len);
	if (err) {
		out->info.verified = err;
		snprintf(out->info.why, sizeof(out->info.why), "%s", strerror(-err));
		goto out;
	}
	err = kg_signature_verify(data, len, sig, sig_len, anchor, &out->info);
	if (err)
		out->info.verified = err;
	else
		out->anchor = anchor;
out:
	free(sig);
	free(data);
}

bool policy_signature_failed(const struct policy_signature *sig)
{
	return sig->path && sig->info.verified < 0;
}

static const char *state(const struct policy_signature *sig)
{
	if (sig->info.verified > 0)
		return "valid";
	if (sig->info.verified < 0)
		return "invalid";
	return "not verified (no --anchor)";
}

void policy_signature_json(struct json_writer *w, const struct policy_signature *sig)
{
	if (!sig || !sig->path) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "file", sig->path);
	json_kv_string(w, "signer", sig->info.signer[0] ? sig->info.signer : NULL);
	json_key(w, "valid");
	if (sig->info.verified)
		json_bool(w, sig->info.verified > 0);
	else
		json_null(w);
	json_kv_string(w, "anchor", sig->anchor);
	json_kv_string(w, "error", sig->info.verified < 0 ? sig->info.why : NULL);
	json_object_end(w);
}

void policy_signature_text(FILE *out, const struct policy_signature *sig)
{
	if (!sig->path) {
		fprintf(out, "signature none (unsigned: refused where a policy-signing anchor is set)\n");
		return;
	}
	fprintf(out, "signature %s: %s", sig->path, state(sig));
	if (sig->info.signer[0])
		fprintf(out, ", signer %s", sig->info.signer);
	if (sig->anchor)
		fprintf(out, ", anchor %s", sig->anchor);
	if (sig->info.verified < 0)
		fprintf(out, ": %s", sig->info.why);
	fprintf(out, "\n");
}
