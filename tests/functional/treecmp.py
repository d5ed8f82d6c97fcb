#!/usr/bin/python3
"""Compares two root filesystem trees entry by entry, names as raw bytes.

Usage: treecmp.py A B [--layer-modes] [--ignore PATH]...
For every path under either root: the type, the permission bits (setuid,
setgid, sticky included), a symlink's target, a file's size and sha256,
a file's or directory's user.* and security.capability xattrs, and which
paths share an inode (hard links). Prints one line per difference,
"PATH: WHAT: A-VALUE | B-VALUE", and "same" when there is none; exit 0 when
the trees are equal, 1 when not. --ignore leaves out a path and what is
below it (both sides).

Never compared: owners (a rootless extraction owns everything),
timestamps, and umoci's own user.rootlesscontainers xattr (where it keeps
the owners). --layer-modes compares A's modes with B's as udocker's layer
extraction documents them (docs/architecture.md): group and other write,
setuid and setgid dropped, a directory's sticky bit kept, and the owner
always able to read and write (and enter) what is theirs.
"""
import hashlib
import os
import stat
import sys

XATTRS = (b"security.capability",)


def layer_mode(mode, isdir):
    perm = mode & 0o755
    if isdir and mode & 0o1000:
        perm |= 0o1000
    return perm | (0o700 if isdir else 0o600)


def walk(root, ignore, layer_modes=False):
    out, inodes = {}, {}
    rootb = os.fsencode(root)
    for d, dirs, files in os.walk(rootb):
        for name in dirs + files:
            full = os.path.join(d, name)
            rel = b"/" + os.path.relpath(full, rootb)
            if any(rel == i or rel.startswith(i + b"/") for i in ignore):
                if name in dirs:
                    dirs.remove(name)
                continue
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            rec = {"type": stat.S_IFMT(st.st_mode)}
            if layer_modes and not stat.S_ISLNK(st.st_mode):
                rec["mode"] = oct(layer_mode(mode, stat.S_ISDIR(st.st_mode)))
            else:
                rec["mode"] = oct(mode)
            if stat.S_ISLNK(st.st_mode):
                rec["target"] = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                rec["size"] = st.st_size
                h = hashlib.sha256()
                # A 0000 file is readable by its owner only after a chmod.
                unreadable = not os.access(full, os.R_OK)
                if unreadable:
                    os.chmod(full, mode | 0o400)
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                if unreadable:
                    os.chmod(full, mode)
                rec["sha256"] = h.hexdigest()[:16]
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            if not stat.S_ISLNK(st.st_mode):
                xa = {}
                try:
                    names = os.listxattr(full, follow_symlinks=False)
                except OSError:
                    names = []
                for n in names:
                    nb = os.fsencode(n)
                    if nb == b"user.rootlesscontainers":
                        continue
                    if nb.startswith(b"user.") or nb in XATTRS:
                        try:
                            xa[n] = os.getxattr(full, n, follow_symlinks=False).hex()
                        except OSError:
                            pass
                if xa:
                    rec["xattrs"] = sorted(xa.items())
            out[rel] = rec
    links = {}
    for group in inodes.values():
        for p in group:
            links[p] = sorted(q for q in group if q != p)
    for p, others in links.items():
        if others:
            out[p]["hardlinks"] = others
    return out


def main():
    args = sys.argv[1:]
    ignore = []
    layer_modes = "--layer-modes" in args
    if layer_modes:
        args.remove("--layer-modes")
    while "--ignore" in args:
        i = args.index("--ignore")
        ignore.append(os.fsencode(args[i + 1].rstrip("/")))
        del args[i : i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = walk(args[0], ignore), walk(args[1], ignore, layer_modes)
    diffs = 0
    for p in sorted(set(a) | set(b)):
        name = p.decode("utf-8", "backslashreplace")
        if p not in a or p not in b:
            print(f"{name}: only in {'B' if p not in a else 'A'}")
            diffs += 1
            continue
        for k in sorted(set(a[p]) | set(b[p])):
            if a[p].get(k) != b[p].get(k):
                print(f"{name}: {k}: {a[p].get(k)} | {b[p].get(k)}")
                diffs += 1
    if diffs == 0:
        print("same")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
