#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-dircache (host side): a `signed` exec rule on covered/, a signed
# program there, and an unprivileged user's (uid 1000) unsigned programs
# outside it (outside/u/a/b/prog, outside/u/c/prog2) with a directory of
# theirs inside the scope (covered/drop/, holding an empty x/).
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_variant "$true_bin" covered/signed dircache-signed
kg_prep_sign covered/signed org
kg_prep_variant "$true_bin" outside/u/a/b/prog dircache-prog
kg_prep_variant "$true_bin" outside/u/c/prog2 dircache-prog2
mkdir -p "$KG_STAGE/covered/drop/x"
chown -R 1000:1000 "$KG_STAGE/outside/u" "$KG_STAGE/covered/drop"

{
	kg_prep_policy_head enforce-dircache enforce
	kg_prep_signed_rule covered exec "$KG_GUEST_DATA/covered/" "log: all"
} >"$KG_STAGE/policy.yaml"
