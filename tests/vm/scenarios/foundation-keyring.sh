# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# foundation-keyring: a SEC("syscall") program looks up a keyring created
# here with keyctl, by its real serial; the result is visible from userspace
# and the key is released (bpf_key_put), and a bogus serial is not found.
# kg-timeout: 120

ring=$(keyctl newring kg-test @u) || kg_fail "keyctl newring kg-test @u failed"
kg_log "created keyring kg-test, serial $ring"

out=$(kg-keyring-lookup "$ring") || { echo "$out"; kg_fail "kg-keyring-lookup $ring failed"; }
kg_log "lookup of serial $ring: $out"
[ "$out" = "found=1 keys_put=1" ] || kg_fail "serial $ring: expected found=1 keys_put=1, got '$out'"

# Serials start at 3, so 1 never names a key.
out=$(kg-keyring-lookup 1) || { echo "$out"; kg_fail "kg-keyring-lookup 1 failed"; }
kg_log "lookup of bogus serial 1: $out"
[ "$out" = "found=0 keys_put=0" ] || kg_fail "bogus serial: expected found=0 keys_put=0, got '$out'"

# Builtin trusted keys (VERIFY_USE_SECONDARY_KEYRING is 1UL).
out=$(kg-keyring-lookup --system 1) || { echo "$out"; kg_fail "kg-keyring-lookup --system 1 failed"; }
kg_log "lookup of system keyring id 1: $out"
[ "$out" = "found=1 keys_put=1" ] || kg_fail "system keyring 1: expected found=1 keys_put=1, got '$out'"

keyctl unlink "$ring" @u >/dev/null
