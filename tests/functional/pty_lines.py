#!/usr/bin/python3
"""Splits what pty_run.py saved into the lines a terminal shows.

Usage: pty_lines.py ERRFILE [FROM]
Prints one line per segment between carriage returns and newlines, from
byte FROM on, with the erase-line sequence (ESC [ K) taken out; any other
escape sequence is left in, where a test sees it.
"""
import re
import sys

data = open(sys.argv[1], "rb").read()[int(sys.argv[2]) if len(sys.argv) > 2 else 0:]
for seg in re.split(rb"[\r\n]", data.replace(b"\x1b[K", b"")):
    if seg:
        sys.stdout.write(seg.decode("utf-8", "replace") + "\n")
