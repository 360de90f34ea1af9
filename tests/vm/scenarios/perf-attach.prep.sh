#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# perf-attach (host side): a signed and an unsigned program, a signed and an unsigned data
# file under covered/, a probe file no binary format accepts under probe/,
# and two policies:
#   exec-only.yaml  exec of covered/ must be signed; nothing about open
#   open.yaml       the same, plus open_read of covered/ signed, and exec of
#                   probe/ denied (what tells a process the policy is in force)
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_copy "$(kg_prep_helper kg-true)" covered/signed-bin
kg_prep_copy "$(kg_prep_helper kg-true)" covered/unsigned-bin
head -c 4096 /dev/urandom >"$KG_STAGE/data.bin"
kg_prep_copy "$KG_STAGE/data.bin" covered/signed.dat
kg_prep_copy "$KG_STAGE/data.bin" covered/unsigned.dat
rm "$KG_STAGE/data.bin"
kg_prep_sign covered/signed-bin org
kg_prep_sign covered/signed.dat org
kg_prep_verity covered/unsigned.dat
mkdir -p "$KG_STAGE/probe"
printf 'not a program\n' >"$KG_STAGE/probe/probe"
chmod 755 "$KG_STAGE/probe/probe"

{
	kg_prep_policy_head perf-attach-exec-only enforce
	kg_prep_signed_rule exec-signed exec "$KG_GUEST_DATA/covered/"
} >"$KG_STAGE/exec-only.yaml"
{
	kg_prep_policy_head perf-attach-open enforce
	kg_prep_signed_rule exec-signed exec "$KG_GUEST_DATA/covered/"
	kg_prep_signed_rule open-signed open_read "$KG_GUEST_DATA/covered/"
	cat <<YAML
  - name: probe-denied
    operations: [exec]
    paths: [$KG_GUEST_DATA/probe/]
    require: deny
YAML
} >"$KG_STAGE/open.yaml"
