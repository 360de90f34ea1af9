#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-exec (host side): one program in every state a signature can be in.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_key other
true_bin=$(kg_prep_helper kg-true)

# Each file's content differs (trailing bytes after the ELF image), so each
# has its own fs-verity digest.
n=0
for f in signed not-verity no-signature other-key copied-sig revoked malformed; do
	kg_prep_variant "$true_bin" "bin/$f" "$(printf '%*s' "$n" '')"
	n=$((n + 1))
done
kg_prep_copy "$true_bin" outside/unsigned

kg_prep_sign bin/signed org
kg_prep_verity bin/no-signature
kg_prep_sign bin/other-key other
kg_prep_set_sig bin/copied-sig bin/signed.sig
kg_prep_verity bin/copied-sig
kg_prep_sign bin/revoked org
head -c 200 /dev/urandom >"$KG_STAGE/bin/malformed.sig"
kg_prep_set_sig bin/malformed bin/malformed.sig
kg_prep_verity bin/malformed

cat >"$KG_STAGE/policy.yaml" <<YAML
keygate: 1
policy: {name: enforce-exec, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org, certificates: [keys/org.pem]}
  - {name: other, certificates: [keys/other.pem]}
rules:
$(kg_prep_signed_rule apps exec "$KG_GUEST_DATA/bin/" "log: all")
revocations: {digests: ["$(kg_prep_digest bin/revoked)"]}
YAML
