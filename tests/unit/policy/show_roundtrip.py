#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
"""`keygate -j policy show` against `keygate policy compile`: the JSON must
parse and describe exactly the compiled blob (decoded here independently,
following the format documented in policy/blob.c), and the digest must be
the SHA-256 of the blob body. Also checks `check -j` on an invalid policy.

Usage: show_roundtrip.py KEYGATE SOURCE_ROOT
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

OPS = ["exec", "mmap_exec", "mprotect_exec", "open_read",
       "module_file", "module_buffer", "firmware", "kexec"]
KINDS = {1: "certificates", 2: "keyring", 3: "system"}
SYSTEM = {0: "builtin", 1: "secondary", 2: "platform"}
REQ = {1: "signed", 2: "allow", 3: "deny"}
FAIL = {1: "deny", 2: "audit"}
DEFAULT = {1: "allow", 2: "deny", 3: "audit"}
MODE = {1: "enforce", 2: "audit"}
RULE_NONE = 0xffffffff


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("blob truncated")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def str(self):
        n = self.u32()
        return None if n == 0xffffffff else self.take(n).decode()


def ops_names(mask):
    return [OPS[i] for i in range(len(OPS)) if mask & (1 << i)]


def decode(blob):
    r = Reader(blob)
    assert r.take(8) == b"KGPOLICY"
    assert r.u32() == 1
    r.u32()  # ABI version
    body_len = r.u64()
    digest = r.take(32)
    body = blob[r.pos:r.pos + body_len]
    assert hashlib.sha256(body).digest() == digest, "header digest is not SHA-256 of the body"
    p = {"digest": digest.hex()}
    p["name"], p["version"], p["mode"] = r.str(), r.u64(), MODE[r.u32()]
    p["signature_xattr"] = r.str()
    p["ops_covered"] = ops_names(r.u32())
    p["defaults"] = {OPS[i]: DEFAULT[r.u32()] for i in range(len(OPS))}
    anchors = []
    for i in range(r.u32()):
        a = {"id": i}
        kind, _flags, ident = r.u32(), r.u32(), r.u64()
        a["kind"] = KINDS[kind]
        a["name"] = r.str()
        a["source"] = {"index": r.u32(), "line": r.u32(), "col": r.u32()}
        desc = r.str()
        certs = [r.take(r.u32()) for _ in range(r.u32())]
        if kind == 3:
            a["system"] = SYSTEM[ident]
        if kind == 2 and desc is None:
            a["keyring_serial"] = ident
        if desc is not None:
            a["keyring_description"] = desc
        if kind == 1:
            a["certificates"] = [{"sha256": hashlib.sha256(c).hexdigest(), "der_bytes": len(c)}
                                 for c in certs]
        anchors.append(a)
    p["anchors"] = anchors
    rules = []
    for _ in range(r.u32()):
        rid, ops, req, fail, flags, src_line, amask = (r.u32(), r.u32(), r.u32(), r.u32(),
                                                       r.u32(), r.u32(), r.u64())
        name = r.str()
        src = {"index": r.u32(), "line": r.u32(), "col": r.u32()}
        assert src["line"] == src_line
        scopes = [r.str() for _ in range(r.u32())]
        rules.append({"id": rid, "name": name, "operations": ops_names(ops),
                      "requirement": REQ[req], "on_failure": FAIL[fail],
                      "log": "all" if flags & 1 else "failures",
                      "anchors": [anchors[i]["name"] for i in range(len(anchors)) if amask & (1 << i)],
                      "scopes": scopes, "source": src})
    p["rules"] = rules
    table = []
    for _ in range(r.u32()):
        path = r.take(r.u32()).decode()
        ids = [r.u32() for _ in OPS]
        table.append({"path": path,
                      "rules": {OPS[i]: (None if ids[i] == RULE_NONE else ids[i]) for i in range(len(OPS))}})
    p["path_table"] = table
    digests = []
    for _ in range(r.u32()):
        algo, size = r.u16(), r.u16()
        digests.append({1: "sha256", 2: "sha512"}[algo] + ":" + r.take(size).hex())
    certs = [r.take(32).hex() for _ in range(r.u32())]
    p["revocations"] = {"digests": digests, "certificates": certs}
    assert r.pos == 56 + body_len, "body length does not match its content"
    sources = [r.str() for _ in range(r.u32())]
    for a in anchors:
        for c in a.get("certificates", []):
            c["path"] = r.str()
    assert r.pos == len(blob), "trailing bytes after the trailer"
    for item in anchors + rules:
        item["source"]["file"] = sources[item["source"].pop("index")]
    p["sources"] = sources
    return p


def run(keygate, *args, expect=0):
    proc = subprocess.run([keygate, *args], capture_output=True, text=True)
    if proc.returncode != expect:
        sys.exit(f"FAIL: keygate {' '.join(args)} exited {proc.returncode}, expected {expect}\n"
                 f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def compare(label, shown, decoded):
    """Every field decoded from the blob must appear identically in show -j
    (show adds a few derived fields, e.g. certificate subjects)."""
    failures = 0
    for a in shown.get("anchors", []):
        for c in a.get("certificates", []):
            c.pop("subject", None)
    for key, value in decoded.items():
        if shown.get(key) != value:
            print(f"FAIL {label}: {key}:\n  show {shown.get(key)!r}\n  blob {value!r}")
            failures += 1
    return failures


def main():
    keygate, root = sys.argv[1], sys.argv[2]
    targets = [os.path.join(root, "policy/examples", e)
               for e in ("signed-apps", "module-signing.yaml", "protected-config.yaml")]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "policy.kgp")
        for target in targets + ["--default"]:
            label = os.path.basename(target)
            shown = json.loads(run(keygate, "-j", "policy", "show", target))
            run(keygate, "policy", "compile", target, "-o", out)
            with open(out, "rb") as f:
                decoded = decode(f.read())
            failures += compare(label, shown, decoded)
            checked = json.loads(run(keygate, "-j", "policy", "check", target))
            if not checked["valid"] or checked["digest"] != decoded["digest"]:
                print(f"FAIL {label}: check -j disagrees: {checked}")
                failures += 1
        # show -j of the default must at least parse and be audit only.
        default = json.loads(run(keygate, "-j", "policy", "show", "--default"))
        if not default["audit_only"] or default["mode"] != "audit":
            print("FAIL: default policy is not audit only")
            failures += 1
        # An invalid policy: exit 1 and JSON diagnostics with positions.
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("keygate: 1\npolicy: {name: t, version: 1}\nrules:\n"
                    "  - {name: r, operations: [exce], require: allow}\n")
        result = json.loads(run(keygate, "-j", "policy", "check", bad, expect=1))
        want = {"file": bad, "line": 4, "col": 28, "severity": "error",
                "message": "unknown operation 'exce'; did you mean 'exec'?"}
        if result["valid"] or result["errors"] != [want]:
            print(f"FAIL: check -j of an invalid policy: {result}")
            failures += 1
        run(keygate, "policy", "check", "--help")
        run(keygate, "policy", "check", expect=2)
    if failures:
        sys.exit(f"{failures} mismatches")
    print("show -j matches the compiled blob for", len(targets), "policies")


if __name__ == "__main__":
    main()
