"""Runs a command under a real pseudo-terminal: waits for each text, then types its keys.

usage: python3 pty_session.py '<json [[wait_for, keys], ...]>' command [args...]
A step's keys may instead be {"write": [path, text]}: once wait_for shows, that file is written (an editor's save),
or {"sleep": seconds}: once wait_for shows, the terminal is read for that long before the next step.
Prints one JSON line: {"exit": <exit code, or -signal>, "output": <everything the terminal showed>}.
Exits 3 if a text did not appear within its time (the output so far is still printed).
"""
import json
import os
import pty
import select
import sys
import time

steps = json.loads(sys.argv[1])
command = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

output = b""


def read(deadline):
    """Reads what is there until the deadline; False once the terminal is closed."""
    global output
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        output += chunk
        return True


missing = None
for wait_for, keys in steps:
    deadline = time.monotonic() + 5
    while wait_for.encode() not in output:
        if time.monotonic() >= deadline or not read(deadline):
            missing = wait_for
            break
    if missing:
        break
    if isinstance(keys, dict) and "sleep" in keys:
        deadline = time.monotonic() + keys["sleep"]
        while read(deadline) and time.monotonic() < deadline:
            pass
    elif isinstance(keys, dict):
        path, text = keys["write"]
        with open(path, "w") as saved:
            saved.write(text)
    else:
        os.write(fd, keys.encode())

deadline = time.monotonic() + 5
while read(deadline) and time.monotonic() < deadline:
    pass
# A program still waiting for input here would hang the test: give it a moment, then stop it.
deadline = time.monotonic() + 5
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        break
    read(time.monotonic() + 0.05)
print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "output": output.decode("utf-8", "replace"), "missing": missing}))
sys.exit(3 if missing else 0)
