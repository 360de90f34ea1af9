# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# foundation-probe: `keygate probe` on each kernel of the matrix says what
# that kernel gives, and -j prints valid JSON saying the same:
#   6.12, 7.x  every check ok (exit 0); the kernel features module-
#              compressed-reads, security-bpf-xattr, overlay-backing-file
#              are ok on 7.x and "no" on 6.12
#   6.1        exit 3, cannot enforce: bpf_get_file_xattr and
#              bpf_get_fsverity_digest are missing (Linux 6.8 added them)
# kg-timeout: 120

release=$(uname -r)
case $release in
6.1.*) kernel=6.1 ;;
6.12.*) kernel=6.12 ;;
7.*) kernel=7 ;;
*) kg_fail "foundation-probe knows no expectations for kernel $release" ;;
esac

keygate probe >"$KG_OUT/probe.txt" 2>&1
status=$?
sed 's/^/kg:   /' "$KG_OUT/probe.txt"
required="bpf-lsm btf lsm-load kfunc:bpf_lookup_user_key kfunc:bpf_lookup_system_key
	kfunc:bpf_key_put kfunc:bpf_verify_pkcs7_signature keyring-lookup fs-verity modules"
features="module-compressed-reads security-bpf-xattr overlay-backing-file"
# Debian's kernel has no IKCONFIG and the guest no /boot: the pkcs7 backend
# is found in vmlinux BTF (readable where a hardened unit hides kallsyms).
grep -qE '^ok +kfunc:bpf_verify_pkcs7_signature .*verify_pkcs7_signature is in vmlinux BTF' \
	"$KG_OUT/probe.txt" || kg_fail "pkcs7 backend not confirmed through vmlinux BTF"
for check in $required; do
	grep -qE "^ok +$check " "$KG_OUT/probe.txt" || kg_fail "probe check $check missing or failed"
done
if [ "$kernel" = 6.1 ]; then
	[ "$status" = 3 ] || kg_fail "keygate probe exited with $status on 6.1, expected 3"
	for kfunc in bpf_get_file_xattr bpf_get_fsverity_digest; do
		grep -qE "^FAIL +kfunc:$kfunc +not in vmlinux BTF: .*\(Linux 6.8 added it\)" "$KG_OUT/probe.txt" ||
			kg_fail "probe does not report $kfunc missing"
	done
	grep -q '^keygate cannot enforce on this kernel: kfunc:bpf_get_file_xattr: ' "$KG_OUT/probe.txt" ||
		kg_fail "probe does not say keygate cannot enforce on 6.1"
	want_features=no
else
	[ "$status" = 0 ] || kg_fail "keygate probe exited with $status, expected 0"
	for kfunc in bpf_get_file_xattr bpf_get_fsverity_digest bpf_rdonly_cast; do
		grep -qE "^ok +kfunc:$kfunc " "$KG_OUT/probe.txt" || kg_fail "probe check kfunc:$kfunc failed"
	done
	want_features=$([ "$kernel" = 7 ] && echo ok || echo no)
fi
for check in $features; do
	grep -qE "^$want_features +$check " "$KG_OUT/probe.txt" ||
		kg_fail "kernel feature $check is not '$want_features' on $release"
done
# A security.bpf. name is refused where the kernel cannot read it, not
# silently ignored.
[ "$want_features" = no ] && ! grep -qE '^no +security-bpf-xattr +(bpf_get_file_xattr refuses security.bpf. names \(EPERM\)|no kfunc bpf_get_file_xattr)' \
	"$KG_OUT/probe.txt" && kg_fail "security-bpf-xattr does not say why"
[ -z "$(find /dev/shm /tmp -maxdepth 1 -name 'keygate-probe-*')" ] || kg_fail "the probe left a scratch file"

keygate -j probe >"$KG_OUT/probe.json" 2>&1
json_status=$?
[ "$json_status" = "$status" ] || kg_fail "keygate -j probe exited with $json_status, the human form with $status"
# No JSON parser in the guest: check the shape strictly instead.
json=$(cat "$KG_OUT/probe.json")
verdict=$([ "$kernel" = 6.1 ] && echo '"all_ok":false,"can_enforce":false' || echo '"all_ok":true,"can_enforce":true')
case $json in
'{"checks":[{'*"}],$verdict}") ;;
*) echo "$json"; kg_fail "keygate -j probe output is not the expected JSON object ($verdict)" ;;
esac
n=$(echo "$json" | grep -o '"name":' | wc -l)
[ "$n" = 16 ] || kg_fail "expected 16 checks in JSON, found $n"
n=$(echo "$json" | grep -o '"feature":true' | wc -l)
[ "$n" = 3 ] || kg_fail "expected 3 feature checks in JSON, found $n"
# The runner parses KG-JSON lines on the host with a real JSON parser.
echo "KG-JSON $json"
kg_log "keygate -j probe on $release: 16 checks, $verdict, features $want_features"
