#!/usr/bin/env python3
"""Checks that the documentation cannot drift from the binary.

Usage: doccheck.py UDOCKER MANPAGE README

- every command `udocker help` lists has an entry in the man page, and every
  option of `udocker CMD --help` (its usage lines and option column) appears
  in that command's entries; the general options in GENERAL OPTIONS;
- `udocker help`, the man page's ENVIRONMENT and README's "Environment"
  paragraph name the same variables, and every UDOCKER_* name in the binary
  is among them (except the ones udocker sets for its preload library);
- the exit status table of `udocker help` is the man page's.

Prints one line per problem and exits 1 when there is any.
"""
import re
import subprocess
import sys

ENV_NAME = re.compile(r"\b(UDOCKER_[A-Z0-9_]+|[A-Z][A-Z0-9]*_[A-Z0-9_]+|[a-z]+_proxy)\b")
OPTION = re.compile(r"(?:^|(?<=[\s\[|,(]))(--?[A-Za-z][A-Za-z0-9-]*)")
# Set by udocker in a container's environment for its preload library, and
# by the release launcher for udocker (taken out of the environment at once).
INTERNAL_ENV = {"UDOCKER_FAKE_IDS", "UDOCKER_HOSTNAME", "UDOCKER_LAUNCHER", "UDOCKER_RO_DIRS"}

problems = []


def udocker(binary, *args):
    r = subprocess.run([binary, "--allow-root", *args], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"udocker {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def section(text, start, end=None):
    """The lines after the line starting with `start` up to the one
    starting with `end` (or the end)."""
    out, inside = [], False
    for line in text.splitlines():
        if inside and end is not None and line.startswith(end):
            break
        if inside:
            out.append(line)
        elif line.startswith(start):
            inside = True
    return out


def name_column(line):
    """An indented two-column line's first column."""
    return re.split(r"(?<=\S) {2,}", line.strip(), maxsplit=1)[0]


def help_options(text):
    """Options in a command's usage lines and in its option column."""
    opts, usage = set(), False
    for line in text.splitlines():
        if line.startswith("Usage:"):
            usage = True
        elif not line.strip():
            usage = False
        if usage:
            opts.update(OPTION.findall(line.replace("Usage:", " ")))
        elif re.match(r"^\s+-", line):
            opts.update(OPTION.findall(name_column(line)))
    return opts


def roff_args(rest):
    """The arguments of a roff macro line (double-quoted or blank-separated)."""
    return [a[1:-1] if a.startswith('"') else a for a in re.findall(r'"[^"]*"|\S+', rest)]


def roff_text(line):
    """A roff line as text: font macros' arguments joined, escapes removed."""
    line = line.replace("\\-", "-").replace("\\e", "\\")
    line = re.sub(r"\\f[BIRP]", "", line)
    m = re.match(r"^\.(B|I|BI|BR|IR|RB|IB|RI)\s+(.*)$", line)
    if m:
        args = roff_args(m.group(2))
        return "".join(args) if m.group(1) != "B" and m.group(1) != "I" else " ".join(args)
    return "" if line.startswith(".") else line


def man_entries(man):
    """(section, heading, text) of every .TP entry of the man page."""
    entries, sec, head, body, want_head = [], "", None, [], False
    for line in man.splitlines():
        if line.startswith((".SH", ".TP", ".PP")):
            if head is not None:
                entries.append((sec, head, " ".join([head] + body)))
            head, body = None, []
            if line.startswith(".SH"):
                sec = line[3:].strip().strip('"')
            want_head = line.startswith(".TP")
            continue
        if want_head:
            head, want_head = roff_text(line), False
        elif head is not None:
            body.append(roff_text(line))
    if head is not None:
        entries.append((sec, head, " ".join([head] + body)))
    return entries


def has_option(text, opt):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None


def main():
    binary, manpath, readmepath = sys.argv[1:4]
    man = open(manpath, encoding="utf-8").read()
    readme = open(readmepath, encoding="utf-8").read()
    general = udocker(binary, "help")
    commands = [ln.split()[0] for ln in section(general, "Commands:", "Run ")
                if re.match(r"^  [a-z]", ln)]
    if len(commands) < 30:
        problems.append(f"udocker help lists only {len(commands)} commands")
    entries = man_entries(man)

    # General options.
    gen_text = " ".join(t for s, _, t in entries if s == "GENERAL OPTIONS")
    for line in section(general, "General options:", "Commands:"):
        for opt in OPTION.findall(name_column(line)):
            if not has_option(gen_text, opt):
                problems.append(f"general option {opt}: not in GENERAL OPTIONS")

    # Commands and their options.
    for cmd in commands:
        texts = []
        for _, head, text in entries:
            names = {part.split()[0] for part in head.split(", ") if part.split()}
            if cmd in names:
                texts.append(text)
        if not texts:
            problems.append(f"command {cmd}: no entry in the man page")
            continue
        text = " ".join(texts)
        if cmd == "help":
            continue  # its options are the general ones, checked above
        for opt in sorted(help_options(udocker(binary, cmd, "--help"))):
            if opt != "--help" and not has_option(text, opt):
                problems.append(f"command {cmd}: option {opt} not in its man page entry")

    # Environment variables.
    help_env = set()
    for line in section(general, "Environment"):
        help_env.update(ENV_NAME.findall(name_column(line)))
    man_env = set()
    for sec, head, _ in entries:
        if sec == "ENVIRONMENT":
            man_env.update(ENV_NAME.findall(head))
    para = re.search(r"^Environment \(.*?(?=\n\n|\Z)", readme, re.S | re.M)
    readme_env = set(re.findall(r"`([A-Za-z0-9_]+)`", para.group(0))) if para else set()
    readme_env = {n for n in readme_env if ENV_NAME.fullmatch(n)}
    if len(help_env) < 20:
        problems.append(f"udocker help names only {len(help_env)} variables")
    for name in sorted(help_env ^ man_env):
        where = "udocker help" if name in help_env else "the man page"
        problems.append(f"variable {name}: only in {where} (help vs man page)")
    for name in sorted(help_env ^ readme_env):
        where = "udocker help" if name in help_env else "README"
        problems.append(f"variable {name}: only in {where} (help vs README)")
    data = open(binary, "rb").read()
    used = {m.decode() for m in re.findall(rb"(?<![A-Z_])(UDOCKER_[A-Z0-9_]+)\x00", data)}
    for name in sorted(used - INTERNAL_ENV - help_env):
        problems.append(f"variable {name}: read by the binary, not in udocker help")

    # Exit status table.
    help_codes = [ln.split()[0] for ln in section(general, "Exit status", "Environment")
                  if re.match(r"^  \S", ln)]
    man_codes = [head.strip() for sec, head, _ in entries if sec == "EXIT STATUS"]
    if help_codes != man_codes:
        problems.append(f"exit status: help has {help_codes}, the man page {man_codes}")

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
