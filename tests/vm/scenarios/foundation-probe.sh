# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# foundation-probe: on the 6.12 guest `keygate probe` finds everything
# keygate needs (exit 0) and -j prints valid JSON saying so.
# kg-timeout: 120

keygate probe >"$KG_OUT/probe.txt" 2>&1
status=$?
sed 's/^/kg:   /' "$KG_OUT/probe.txt"
[ "$status" = 0 ] || kg_fail "keygate probe exited with $status, expected 0"
# Debian's kernel has no IKCONFIG and the guest no /boot: the pkcs7 backend
# is found in kallsyms.
grep -qE '^ok +kfunc:bpf_verify_pkcs7_signature .*verify_pkcs7_signature is in /proc/kallsyms' \
	"$KG_OUT/probe.txt" || kg_fail "pkcs7 backend not confirmed through kallsyms"
for check in bpf-lsm btf lsm-load kfunc:bpf_lookup_user_key kfunc:bpf_lookup_system_key \
	kfunc:bpf_key_put kfunc:bpf_verify_pkcs7_signature kfunc:bpf_get_file_xattr \
	kfunc:bpf_get_fsverity_digest keyring-lookup fs-verity modules; do
	grep -qE "^ok +$check " "$KG_OUT/probe.txt" || kg_fail "probe check $check missing or failed"
done

keygate -j probe >"$KG_OUT/probe.json" 2>&1 || kg_fail "keygate -j probe exited with $?"
# No JSON parser in the guest: check the shape strictly instead.
json=$(cat "$KG_OUT/probe.json")
case $json in
'{"checks":[{'*'}],"all_ok":true,"can_enforce":true}') ;;
*) echo "$json"; kg_fail "keygate -j probe output is not the expected JSON object" ;;
esac
n=$(echo "$json" | grep -o '"name":' | wc -l)
[ "$n" = 12 ] || kg_fail "expected 12 checks in JSON, found $n"
! echo "$json" | grep -q '"ok":false' || kg_fail "JSON reports a failed check"
# The runner parses KG-JSON lines on the host with a real JSON parser.
echo "KG-JSON $json"
kg_log "keygate -j probe: 12 checks ok, can_enforce=true"
