# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-memfd: exec and executable mmap of a memfd, decided by policy.
# A memfd is in no directory a scope can name: a rule naming its d_path
# ("/memfd:NAME (deleted)") does not cover it; rules without paths do.
. /kg/scenarios/enforce-lib.sh
kge_setup
src=$(command -v kg-true)
memfd="/memfd:kg-memfd (deleted)"

# Without an agent a memfd runs (kg-true replaces the helper, exit 0).
kg-memfd exec "$src" >"$KG_OUT/memfd.out" 2>&1 || kg_fail "memfd exec fails without keygate: $(cat "$KG_OUT/memfd.out")"
grep -qF "memfd_path=$memfd" "$KG_OUT/memfd.out" || kg_fail "memfd path is not '$memfd': $(cat "$KG_OUT/memfd.out")"

kge_start "$KG_DATA/named.yaml"
# Exec replaces the helper with kg-true: success is its exit status 0.
kg-memfd exec "$src" >"$KG_OUT/memfd.out" 2>&1 ||
	kg_fail "memfd exec refused by a rule naming its d_path: $(cat "$KG_OUT/memfd.out")"
kge_expect ok kg-memfd mmap "$src"
kg_expect_no_event rule=no-memfd-exec
kg_stop_agent

kge_start "$KG_DATA/signed-only.yaml"
kge_expect errno:EPERM kg-memfd exec "$src"
kg_expect_event op=exec verdict=deny reason=not-verity rule=everything-signed path="$memfd"
# The helper itself (under /usr/) still runs.
kge_expect ok kg-exec "$src"
kg_stop_agent
kg_pass
