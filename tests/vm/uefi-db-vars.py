#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
"""uefi-db-vars.py - an OVMF variable store whose UEFI db holds one X.509
certificate, for a guest booted without Secure Boot: its kernel loads db
into the .platform keyring, which IPE accepts policy signatures from.

    uefi-db-vars.py TEMPLATE OUT CERT.der

TEMPLATE is an empty store (Debian's OVMF_VARS_4M.fd). The variable is
appended after the last one as EDK2 lays them out (an authenticated
variable header, the UTF-16 name, the data, 4-byte aligned); the store
must hold no db yet.
"""
import struct
import sys
import uuid

FV_SIGNATURE = b"_FVH"
AUTH_VARSTORE = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
IMAGE_SECURITY_DB = uuid.UUID("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
CERT_X509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
OWNER = uuid.UUID("6b657967-6174-6562-656e-636800000000")  # "keygatebench"
VAR_START = 0x55AA
VAR_ADDED = 0x3F
# NV | BS | RT | time-based authenticated write, as a db enrolled by a tool
ATTRIBUTES = 0x27
# StartId, State, Reserved, Attributes, MonotonicCount, TimeStamp,
# PubKeyIndex, NameSize, DataSize, VendorGuid
HEADER = struct.Struct("<HBBIQ16sIII16s")


def die(msg):
    sys.exit(f"uefi-db-vars: {msg}")


def signature_list(cert):
    entry = OWNER.bytes_le + cert
    head = struct.pack("<16sIII", CERT_X509.bytes_le, 28 + len(entry), 0, len(entry))
    return head + entry


def main():
    if len(sys.argv) != 4:
        die("usage: uefi-db-vars.py TEMPLATE OUT CERT.der")
    store = bytearray(open(sys.argv[1], "rb").read())
    cert = open(sys.argv[3], "rb").read()
    if cert[:1] != b"\x30":
        die(f"{sys.argv[3]}: not a DER certificate")
    if store[40:44] != FV_SIGNATURE:
        die(f"{sys.argv[1]}: no firmware volume header")
    fv_header_len = struct.unpack_from("<H", store, 48)[0]
    if uuid.UUID(bytes_le=bytes(store[fv_header_len:fv_header_len + 16])) != AUTH_VARSTORE:
        die(f"{sys.argv[1]}: not an authenticated variable store")
    store_size = struct.unpack_from("<I", store, fv_header_len + 16)[0]
    end = fv_header_len + store_size
    off = fv_header_len + 28
    while off + HEADER.size <= end:
        start, state, _, _, _, _, _, name_size, data_size, guid = HEADER.unpack_from(store, off)
        if start != VAR_START:
            break
        name = store[off + HEADER.size:off + HEADER.size + name_size].decode("utf-16-le")
        if state == VAR_ADDED and name.rstrip("\0") == "db" and guid == IMAGE_SECURITY_DB.bytes_le:
            die(f"{sys.argv[1]}: already has a db")
        off = (off + HEADER.size + name_size + data_size + 3) & ~3
    name = "db\0".encode("utf-16-le")
    data = signature_list(cert)
    var = HEADER.pack(VAR_START, VAR_ADDED, 0, ATTRIBUTES, 0, bytes(16), 0, len(name), len(data),
                      IMAGE_SECURITY_DB.bytes_le) + name + data
    if off + len(var) > end or any(b != 0xFF for b in store[off:off + len(var)]):
        die(f"{sys.argv[1]}: no free space for db at offset {off:#x}")
    store[off:off + len(var)] = var
    open(sys.argv[2], "wb").write(store)


main()
