#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make check-layers: every #include "..." in src/, tests/harness/, tests/guest/ and bench/ must
follow the layer table below (docs/ARCHITECTURE.md draws the same table).

A file's layer is its folder under src/ (src/arch/x86/boot/boot.c is in arch/x86/boot; a folder
does not grant its sub-folders). A file may include its own folder and what its row lists: a
folder, or one header where a program shares a single file of a folder it must not depend on.
FILES rows override the folder row for the shared files themselves. tests/unit, tests/fuzz and
tests/backends may include anything. The table must stay acyclic; a folder under src/ without a
row fails. Last line: "check-layers: 1 passed, 0 failed (...)" or "0 passed, N failed" with N
the number of wrong includes.
"""
import os
import re
import sys

# layer: what it may include besides itself, bottom to top.
BELOW_VMM = ["util", "config", "security", "arch", "arch/x86", "arch/arm64", "mm", "acpi",
             "arch/x86/boot", "arch/arm64/boot", "kvm", "legacy", "pci", "virtio", "vhost_user"]
SHARED_RING = ["vhost_user/msg.h", "virtio/virtqueue.h", "virtio/virtio_dev.h"]
LAYERS = {
    "util":          [],
    "config":        ["util"],
    "security":      ["util", "config"],
    "arch/x86":      ["util"],
    "arch/arm64":    ["util"],
    # arch/arch.h: the arch interface, picks one arch's layout (arch/boot.h: FILES below)
    "arch":          ["util", "arch/x86", "arch/arm64"],
    "mm":            ["util", "arch"],
    "acpi":          ["util", "config", "arch/x86", "mm"],
    "arch/x86/boot": ["util", "arch/x86", "mm", "acpi", "arch/boot_config.h"],
    "arch/arm64/boot": ["util", "arch/arm64", "mm", "arch/boot_config.h"],
    "kvm":           ["util", "config", "arch", "arch/x86", "arch/arm64", "mm"],
    "legacy":        ["util", "config", "arch", "arch/x86", "mm", "acpi", "kvm"],
    "pci":           ["util", "config", "arch", "mm", "kvm"],
    "virtio":        ["util", "config", "arch", "mm", "kvm", "pci"],
    "vhost_user":    ["util", "config", "arch", "mm", "kvm", "pci", "virtio"],
    "api":           BELOW_VMM,
    "vmm":           BELOW_VMM + ["api"],
    # The two programs: utilities, guest RAM regions, the vhost-user codec and the split ring.
    "vu_backend":    ["util", "mm"] + SHARED_RING,
    "virtiofsd":     ["util", "config", "security", "mm", "vu_backend"] + SHARED_RING,
    # Outside src/: the harness drives devices like a vCPU does (no machine, no API).
    "tests/harness": BELOW_VMM + ["vu_backend", "virtiofsd"],
    "bench":         BELOW_VMM + ["vu_backend", "virtiofsd", "tests/harness", "tests/unit"],
    # freestanding: constants and include-free inline helpers only
    "tests/guest":   ["arch/x86/layout.h", "util/hex.h"],
}
# Files the programs share: they may include no more than the programs may.
FILES = {
    "arch/boot.h":         ["arch/x86/boot", "arch/arm64/boot"],
    "arch/boot_config.h":  [],
    "vhost_user/msg.h":    [],
    "vhost_user/msg.c":    ["util", "vhost_user/msg.h"],
    "virtio/virtio_dev.h": [],
    "virtio/virtqueue.h":  ["mm"],
    "virtio/virtqueue.c":  ["util", "mm", "virtio/virtqueue.h", "virtio/virtio_dev.h"],
    "util/hex.h":          [],  # the freestanding test guest includes it too
}
CHECKED = ["src", "tests/harness", "tests/guest", "bench"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(rel):
    """Layer of a path relative to the top: src/x/y.c -> x, tests/harness/h.c -> tests/harness."""
    d = os.path.dirname(rel)
    return d[4:] if d.startswith("src/") else d


def resolve(path, inc):
    """The included file relative to the top (the compiler's order: own folder, then -Isrc)."""
    local = os.path.normpath(os.path.join(os.path.dirname(path), inc))
    if os.path.exists(local):
        return local
    return os.path.normpath(os.path.join("src", inc))


def allowed(rel, target):
    me = layer_of(rel)
    key = rel[4:] if rel.startswith("src/") else rel
    tkey = target[4:] if target.startswith("src/") else target
    tlayer = layer_of(target)
    rules = FILES.get(key)
    if rules is None:
        if tlayer == me:
            return True
        rules = LAYERS.get(me, [])
    return tlayer in rules or tkey in rules


def cycles():
    """Layers that can reach themselves through the table (must be none)."""
    graph = {k: {v.rsplit("/", 1)[0] if v.endswith(".h") else v for v in vs}
             for k, vs in LAYERS.items()}
    bad = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            n = todo.pop()
            if n == start:
                bad.append(start)
                break
            if n not in seen:
                seen.add(n)
                todo.extend(graph.get(n, ()))
    return bad


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    failed, passed, bad_files = [], 0, set()
    for c in cycles():
        failed.append(f"check-layers: the table has a cycle through {c}")
    for top in CHECKED:
        for dirpath, _, names in sorted(os.walk(top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                rel = os.path.join(dirpath, name)
                me = layer_of(rel)
                if me not in LAYERS:
                    failed.append(f"{rel}: folder '{me}' has no row in scripts/check-layers.py")
                    bad_files.add(rel)
                    continue
                bad = False
                with open(rel, encoding="utf-8", errors="replace") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = resolve(rel, m.group(1))
                        if rel.startswith("src/") and not target.startswith("src/"):
                            failed.append(f"{rel}:{no}: includes \"{m.group(1)}\" from outside src/")
                            bad = True
                        elif not os.path.exists(target):
                            failed.append(f"{rel}:{no}: \"{m.group(1)}\" does not resolve")
                            bad = True
                        elif not allowed(rel, target):
                            key = rel[4:] if rel.startswith("src/") else rel
                            who, rules = ((f"shared file '{key}'", FILES[key]) if key in FILES
                                          else (f"layer '{me}'", [me] + LAYERS[me]))
                            failed.append(f"{rel}:{no}: includes \"{m.group(1)}\": {who} may "
                                          f"include only {', '.join(rules) or 'system headers'}")
                            bad = True
                if bad:
                    bad_files.add(rel)
                else:
                    passed += 1
    for msg in failed:
        print(msg)
    # One check for the totals of `make test`; each wrong include counts as one failure.
    print(f"check-layers: {0 if failed else 1} passed, {len(failed)} failed "
          f"({passed + len(bad_files)} files, {len(bad_files)} with a wrong include)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
