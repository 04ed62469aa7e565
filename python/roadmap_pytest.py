"""Fixtures the roadmap tool loads into every verifier run (`-p roadmap_pytest`).

Verifiers that need a service ask for a fixture here instead of each starting their own, so that every
exercise gets a private, throw-away server and parallel runs never share state.
"""
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest


def service_missing(message):
    """Skip on a learner's machine; fail when ROADMAP_STRICT=1 (CI), where a skipped verifier proves nothing."""
    if os.environ.get("ROADMAP_STRICT") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def local_time_zone(tz):
    """Runs the block with the process's local time zone set to `tz` (a POSIX TZ string such as "EST+05"; None:
    unchanged), so a verifier can show that a learner's times do not depend on the server's zone. Where the
    platform cannot change it (no time.tzset: Windows), the block runs in the zone it has."""
    if tz is None or not hasattr(time, "tzset"):
        yield
        return
    saved = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@contextlib.contextmanager
def raises(expected_exception, message, *, match=None):
    """`pytest.raises` that says what the learner must fix when nothing is raised, instead of a bare
    "DID NOT RAISE <class 'ValueError'>". Verifiers use it as `with raises(ValueError, "qty 0 must be refused"):`."""
    nothing_raised = False
    try:
        with pytest.raises(expected_exception, match=match) as info:
            yield info
    except pytest.fail.Exception as failure:
        if not str(failure).startswith("DID NOT RAISE"):
            raise
        nothing_raised = True
    if nothing_raised:  # failed outside the except block, so no "during handling" chain is printed
        name = getattr(expected_exception, "__name__", str(expected_exception))
        pytest.fail(f"{message} (expected {name}, but nothing was raised)", pytrace=False)


def bcrypt_cut_at_72_bytes(monkeypatch, module):
    """Makes bcrypt behave as 3.2 and 4.x do on every stack (bcrypt 5 raises instead): only a password's first 72
    bytes count, in `bcrypt.checkpw`/`hashpw` and in whatever `module` imported of them by name. A solution that
    leaves the 72-byte limit to bcrypt then lets a longer password in, on either stack."""
    import bcrypt

    for name in ("checkpw", "hashpw"):
        original = getattr(bcrypt, name)

        def cut(password, *args, _original=original, **kwargs):
            return _original(password[:72], *args, **kwargs)

        monkeypatch.setattr(bcrypt, name, cut)
        for attr, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attr, cut)


@pytest.fixture(scope="module")
def redis_url():
    """URL of a private redis-server on a unix socket, started for this test module and stopped after it."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing(
            "this exercise needs redis-server: install it (Debian/Ubuntu: sudo apt-get install redis-server;"
            " macOS: brew install redis)"
        )
    workdir = tempfile.mkdtemp(prefix="roadmap-redis-")
    socket_path = os.path.join(workdir, "redis.sock")
    server = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", socket_path, "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        # The socket file appears before the server accepts connections: wait for an answer to PING.
        while not _redis_answers(socket_path):
            if server.poll() is not None or time.monotonic() > deadline:
                service_missing("redis-server did not start within 5 s")
            time.sleep(0.005)
        yield f"unix://{socket_path}"
    finally:
        server.terminate()
        server.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


def _redis_answers(socket_path):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            probe.connect(socket_path)
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_conn(redis_url):
    """A redis-py client on the module's private server, emptied before each test."""
    redis = pytest.importorskip("redis")
    conn = redis.Redis.from_url(redis_url)
    conn.flushall()
    yield conn
    conn.close()


def _postgres_binary(name):
    """A PostgreSQL server binary: from PATH, else from Debian's versioned directory (not on PATH there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0)
    return candidates[-1] if candidates else None


def _scratch_root():
    """Where to put the throw-away cluster: tmpfs when it has room, because initdb writes ~40 MB of small files
    and on a busy disk that alone takes seconds; otherwise the normal temp dir."""
    if os.path.isdir("/dev/shm"):
        try:
            if shutil.disk_usage("/dev/shm").free > 256 * 1024 * 1024:
                return "/dev/shm"
        except OSError:
            pass
    return None


@pytest.fixture(scope="module")
def postgres_dsn():
    """libpq conninfo of a private PostgreSQL cluster (initdb'd for this test module, unix socket only)."""
    initdb, pg_ctl = _postgres_binary("initdb"), _postgres_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        service_missing(
            "this exercise needs PostgreSQL's server binaries (initdb, pg_ctl): install them (Debian/Ubuntu:"
            " sudo apt-get install postgresql; macOS: brew install postgresql@16)"
        )
    run_as = []
    workdir = tempfile.mkdtemp(prefix="roadmap-pg-", dir=_scratch_root())
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: hand the scratch dir to the postgres system user.
        import pwd

        try:
            postgres_user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(workdir, ignore_errors=True)
            service_missing("running as root needs a 'postgres' system user to start PostgreSQL")
        os.chown(workdir, postgres_user.pw_uid, postgres_user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(workdir, "data")
    log = os.path.join(workdir, "server.log")

    def run(*args):
        return subprocess.run(run_as + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    started = False
    try:
        # --no-sync and fsync=off: the cluster is thrown away, durability would only cost time.
        made = run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions",
                   "-E", "UTF8", "--locale=C")
        if made.returncode != 0:
            service_missing(f"initdb failed: {made.stderr.strip()[-500:]}")
        # listen_addresses='' means no TCP port at all; the socket lives in the private workdir.
        options = (f"-c listen_addresses='' -c unix_socket_directories='{workdir}' -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=20")
        up = run(pg_ctl, "-D", data, "-l", log, "-w", "-t", "10", "-s", "-o", options, "start")
        if up.returncode != 0:
            try:
                with open(log) as fh:
                    tail = fh.read()[-500:]
            except OSError:
                tail = up.stderr
            service_missing(f"PostgreSQL did not start: {tail.strip()}")
        started = True
        yield f"host={workdir} dbname=postgres user=postgres"
    finally:
        if started:
            run(pg_ctl, "-D", data, "-m", "immediate", "-s", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def pytest_sessionstart(session):
    """Before any test runs, check the interpreter and the packages each exercise needs (ROADMAP_REQUIRES),
    and report problems to the roadmap tool (ROADMAP_REPORT) so it can name the fix instead of a traceback."""
    import json
    import sys
    from importlib import metadata

    report_path = os.environ.get("ROADMAP_REPORT")
    if not report_path:
        return
    problems = {"python": list(sys.version_info[:3]), "missing": {}, "user_site_only": []}
    # Verifiers run with `python -s`: packages installed with `pip install --user` are not loaded. Name them, so
    # the fix says where to install instead of "missing".
    import site

    user_site = site.getusersitepackages() if isinstance(site.getusersitepackages(), str) else ""
    in_user_site = {
        (dist.metadata["Name"] or "").lower().replace("_", "-")
        for dist in (metadata.distributions(path=[user_site]) if user_site and os.path.isdir(user_site) else [])
    }
    for exercise, packages in json.loads(os.environ.get("ROADMAP_REQUIRES", "{}")).items():
        for requirement in packages:
            # "psycopg[binary]" or "fastapi>=0.92" name the distribution "psycopg" / "fastapi".
            package = requirement.split("[")[0].split(";")[0].split("=")[0].split(">")[0].split("<")[0].strip()
            try:
                metadata.version(package)
            except metadata.PackageNotFoundError:
                problems["missing"].setdefault(exercise, []).append(requirement)
                if package.lower().replace("_", "-") in in_user_site:
                    problems["user_site_only"].append(requirement)
    with open(report_path, "w") as report:
        json.dump(problems, report)
    if problems["missing"] or sys.version_info < (3, 10):
        pytest.exit("roadmap: the environment cannot run these verifiers", returncode=3)
