# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# `keygate policy explain` on the signed-apps example: the deciding scope and
# rule per operation follow the longest-match lookup (nested scopes, an
# operation a nearer rule does not cover, no rule at all), the source lines
# are the rules' own, human and -j output agree, and usage errors exit 2.
import json
import os
import re
import subprocess
import sys

keygate, srcroot = sys.argv[1], sys.argv[2]
policy_dir = os.path.join(srcroot, "policy/examples/signed-apps")
policy_file = os.path.join(policy_dir, "policy.yaml")


def run(*args):
    return subprocess.run([keygate, *args], capture_output=True, text=True)


def explain(path):
    r = run("-j", "policy", "explain", policy_dir, "--path", path)
    assert r.returncode == 0, f"explain {path}: exit {r.returncode}: {r.stderr}"
    doc = json.loads(r.stdout)
    assert doc["path"] == path
    return doc


# Where each rule starts in the YAML: "- name: X" (line and column of name).
rule_at = {}
with open(policy_file) as f:
    for number, line in enumerate(f, 1):
        m = re.match(r"(\s*- )name: ([\w-]+)$", line.rstrip("\n"))
        if m:
            rule_at[m.group(2)] = (number, len(m.group(1)) + 1)


def expect(doc, op, rule, outcome):
    got = doc["operations"][op]
    if rule is None:
        assert got["rule"] is None, f"{doc['path']} {op}: {got}"
    else:
        assert got["rule_name"] == rule, f"{doc['path']} {op}: {got}"
        assert (got["source"]["line"], got["source"]["col"]) == rule_at[rule], got
    assert got["outcome"] == outcome, f"{doc['path']} {op}: {got['outcome']!r}"


audit_signed = "signed by org-apps; on failure audit"
enforce_signed = "signed by org-apps; on failure deny"
default_allow = "no rule: default allow"

doc = explain("/opt/tool/bin/run")
assert doc["scope"] == "/opt/", doc["scope"]
expect(doc, "exec", "opt-apps", audit_signed)
expect(doc, "mprotect_exec", "opt-apps", audit_signed)
expect(doc, "open_read", None, default_allow)

# A directory's own name without the slash is not inside it.
assert explain("/opt/payments")["scope"] == "/opt/"

doc = explain("/opt/payments/bin/pay")
assert doc["scope"] == "/opt/payments/"
expect(doc, "exec", "payments", enforce_signed)

# plugins/ covers exec and mmap_exec only: mprotect_exec stays with payments.
doc = explain("/opt/payments/plugins/x.so")
assert doc["scope"] == "/opt/payments/plugins/"
expect(doc, "exec", "vendor-plugins", "allow")
expect(doc, "mmap_exec", "vendor-plugins", "allow")
expect(doc, "mprotect_exec", "payments", enforce_signed)

doc = explain("/usr/bin/ls")
assert doc["scope"] == ""
for op in doc["operations"]:
    expect(doc, op, None, default_allow)

# Human output: the same facts, one line per operation.
r = run("policy", "explain", policy_dir, "--path", "/opt/payments/plugins/x.so")
assert r.returncode == 0, r.stderr
lines = r.stdout.splitlines()
assert lines[0] == "/opt/payments/plugins/x.so: decided at scope /opt/payments/plugins/", lines[0]
line, _ = rule_at["payments"]
want = re.compile(rf"^  mprotect_exec +rule payments \(.*policy\.yaml:{line}\): {enforce_signed}$")
assert any(want.match(l) for l in lines), r.stdout
assert len(lines) == 1 + len(doc["operations"]), r.stdout
r = run("policy", "explain", policy_dir, "--path", "/usr/bin/ls")
assert r.stdout.splitlines()[0] == "/usr/bin/ls: decided at scope (everything)", r.stdout

# Usage errors exit 2, an invalid policy 1.
for args in (["policy", "explain", policy_dir],
             ["policy", "explain", policy_dir, "--path", "opt/x"],
             ["policy", "explain", "--path", "/x"],
             ["policy", "check", policy_dir, "--path", "/x"]):
    r = run(*args)
    assert r.returncode == 2, f"{args}: exit {r.returncode}"
    assert r.stderr.startswith("keygate: policy "), r.stderr
r = run("policy", "explain", os.path.join(srcroot, "no-such-policy.yaml"), "--path", "/x")
assert r.returncode == 1, f"missing policy file: exit {r.returncode}"
print("policy explain: scopes, rules, sources, outcomes and exit statuses as expected")
