"""Save -> verdict in `roadmap watch`, against a cold direct pytest run of the same tests (npm run bench calls this).

usage: python3 scripts/bench_watch.py <cli> <exercise dir> <workspace> <python> <pairs>
The workspace must already hold the exercise with a known-wrong solution (so watch stays on it: a pass would move
on). Under a real pseudo-terminal, watch runs; each pair rewrites the learner's file (an editor's save) and times
until the verdict line shows, then times `python -s -m pytest` with roadmap's flags and plugins on a copy of the
same files.
Between saves it waits as a learner would (1.5 s), which is when the warm verifier gets ready.
Prints one JSON line: {"warm": [ms...], "cold": [ms...]}.
"""
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time

cli, exercise_dir, workspace, python, pairs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
exercise = os.path.basename(exercise_dir.rstrip("/"))
stage = os.path.basename(os.path.dirname(exercise_dir.rstrip("/")))
learner_dir = os.path.join(workspace, stage, exercise)
plugin_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")

pid, fd = pty.fork()
if pid == 0:
    os.execvp("node", ["node", cli, "--workspace", workspace, "--trust", "watch", exercise, "--python", python])

output = b""


def wait_for(count, timeout=120):
    """Reads until `count` verdicts have shown ("all N checks pass", "N of M checks fail")."""
    global output
    deadline = time.monotonic() + timeout
    while output.count(b" checks ") < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"no verdict within {timeout} s:\n{output.decode(errors='replace')[-2000:]}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                output += os.read(fd, 65536)
            except OSError:  # the terminal closed: watch ended
                raise SystemExit(f"watch ended before {count} verdict(s):\n{output.decode(errors='replace')[-2000:]}")


def cold_run():
    with tempfile.TemporaryDirectory(prefix="roadmap-bench-cold-") as tmp:
        target = os.path.join(tmp, exercise)
        shutil.copytree(learner_dir, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        for name in os.listdir(os.path.join(exercise_dir, "tests")):
            if name.endswith(".py"):
                shutil.copy(os.path.join(exercise_dir, "tests", name), target)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(PYTHONPATH=plugin_dir, PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        started = time.monotonic()
        subprocess.run([python, "-s", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", f"--rootdir={tmp}", f"--confcutdir={tmp}",
                        "-p", "roadmap_judge", "-p", "roadmap_pytest", "--continue-on-collection-errors", target], cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return (time.monotonic() - started) * 1000


saved = [name for name in os.listdir(learner_dir) if name.endswith(".py")][0]
path = os.path.join(learner_dir, saved)
wait_for(1)
warm, cold = [], []
for n in range(2, pairs + 2):
    time.sleep(1.5)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    started = time.monotonic()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    wait_for(n)
    warm.append((time.monotonic() - started) * 1000)
    cold.append(cold_run())
os.write(fd, b"q")
os.waitpid(pid, 0)
print(json.dumps({"warm": warm, "cold": cold}))
