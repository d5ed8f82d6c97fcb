#!/usr/bin/python3
"""Runs a command with its stderr on a pseudo-terminal of a set width.

Usage: pty_run.py COLS RESIZE ERRFILE CMD...
stdout goes where ours goes; what the command writes on the terminal is
saved to ERRFILE. RESIZE > 0: once the first progress bar is drawn, the
window becomes RESIZE columns wide and the command gets SIGWINCH (the
terminal is not its controlling one); the offset in ERRFILE where that
happened is printed on our stderr as "resized-at N". Exits with the
command's status.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def set_cols(fd, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))


def main():
    cols, resize, errfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    master, slave = pty.openpty()
    set_cols(slave, cols)
    proc = subprocess.Popen(sys.argv[4:], stdin=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    data = b""
    resized = False
    deadline = time.time() + 120
    while time.time() < deadline:
        if resize and not resized and b"[" in data:
            set_cols(master, resize)
            proc.send_signal(signal.SIGWINCH)
            resized = True
            print("resized-at %d" % len(data), file=sys.stderr)
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        data += chunk
    with open(errfile, "wb") as f:
        f.write(data)
    sys.exit(proc.wait())


main()
