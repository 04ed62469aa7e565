"""Verifier for gunicorn-app-factory: Gunicorn config, fail-fast settings, health checks, docs in prod.

Gunicorn itself is not needed: gunicorn.conf.py is executed with runpy (as Gunicorn does) under a
patched environment and a patched CPU count, and the resulting namespace is inspected.
"""
import difflib
import multiprocessing
import os
import pathlib
import runpy
import types

import pytest
from fastapi.testclient import TestClient

import pnl_service
from pnl_service import Settings, SettingsError, create_app, load_settings, parse_bool

HERE = pathlib.Path(__file__).resolve().parent
CONF = HERE / "gunicorn.conf.py"

WORKER_CLASSES = {"uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker"}
CONF_ENV = ("PORT", "WEB_CONCURRENCY", "TIMEOUT", "GRACEFUL_TIMEOUT", "LOG_LEVEL", "GUNICORN_CMD_ARGS")
APP_ENV_VARS = ("DATABASE_URL", "DEBUG", "APP_ENV")

# Every setting name Gunicorn (20.x to 26.x) accepts in a config file. Gunicorn silently ignores any
# other top-level name, which is why a misspelt setting is a bug nobody notices.
GUNICORN_SETTINGS = frozenset("""
access_log_format accesslog asgi_disconnect_grace_period asgi_lifespan asgi_loop backlog bind ca_certs
capture_output casefold_http_method cert_reqs certfile chdir check_config child_exit ciphers config
control_socket control_socket_disable control_socket_mode daemon default_proc_name dirty_apps
dirty_graceful_timeout dirty_post_fork dirty_threads dirty_timeout dirty_worker_exit dirty_worker_init
dirty_workers disable_redirect_access_to_syslog do_handshake_on_connect dogstatsd_tags
enable_backlog_metric enable_stdio_inheritance errorlog forwarded_allow_ips forwarder_headers
graceful_timeout group header_map http2_cleartext http2_initial_window_size http2_max_concurrent_streams
http2_max_frame_size http2_max_header_list_size http_parser http_protocols initgroups keepalive keyfile
limit_request_field_size limit_request_fields limit_request_line logconfig logconfig_dict logconfig_json
logger_class loglevel max_requests max_requests_jitter nworkers_changed on_dirty_starting on_exit
on_reload on_starting paste permit_obsolete_folding permit_unconventional_http_method
permit_unconventional_http_version pidfile post_fork post_request post_worker_init pre_exec pre_fork
pre_request preload_app print_config proc_name protocol proxy_allow_ips proxy_protocol pythonpath
raw_env raw_paste_global_conf reload reload_engine reload_extra_files reuse_port root_path
secure_scheme_headers sendfile spew ssl_context ssl_version statsd_host statsd_prefix
strip_header_spaces suppress_ragged_eofs syslog syslog_addr syslog_facility syslog_prefix threads
timeout tmp_upload_dir umask user uwsgi_allow_ips when_ready worker_abort worker_class
worker_connections worker_exit worker_int worker_tmp_dir workers wsgi_app
""".split())


@pytest.fixture
def load_conf(monkeypatch):
    """Run gunicorn.conf.py with the given CPU count and environment; return its public settings."""
    def load(cpus=2, **env):
        for name in CONF_ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(os, "cpu_count", lambda: cpus)
        monkeypatch.setattr(multiprocessing, "cpu_count", lambda: cpus)
        if hasattr(os, "process_cpu_count"):
            monkeypatch.setattr(os, "process_cpu_count", lambda: cpus)
        assert CONF.is_file(), "write gunicorn.conf.py in the exercise folder"
        namespace = runpy.run_path(str(CONF))
        return {
            k: v for k, v in namespace.items()
            if not k.startswith("_") and not isinstance(v, types.ModuleType)
        }
    return load


def _binds(conf):
    bind = conf.get("bind")
    return [bind] if isinstance(bind, str) else list(bind or [])


@pytest.fixture
def clean_env(monkeypatch):
    for name in APP_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- gunicorn.conf.py --------------------------------------------------------------------------------

def test_defaults_with_two_cpus(load_conf):
    conf = load_conf(cpus=2)
    assert _binds(conf) == ["0.0.0.0:8000"], (
        f"bind must default to '0.0.0.0:8000' (got {conf.get('bind')!r}); 127.0.0.1 is unreachable from outside a container"
    )
    assert conf.get("workers") == 5, f"with 2 CPUs, workers = 2*2+1 = 5 (got {conf.get('workers')!r})"
    assert conf.get("worker_class") in WORKER_CLASSES, (
        f"worker_class must be one of {sorted(WORKER_CLASSES)} (got {conf.get('worker_class')!r}); "
        "the default sync worker cannot run an ASGI app"
    )


def test_workers_are_capped_at_eight(load_conf):
    assert load_conf(cpus=16).get("workers") == 8, "16 CPUs would give 33 workers: cap workers at 8"
    assert load_conf(cpus=2, WEB_CONCURRENCY="32").get("workers") == 8, "WEB_CONCURRENCY=32 must also be capped at 8"


def test_env_overrides(load_conf):
    conf = load_conf(cpus=2, PORT="9000", WEB_CONCURRENCY="3")
    assert _binds(conf) == ["0.0.0.0:9000"], f"PORT=9000 must give bind '0.0.0.0:9000' (got {conf.get('bind')!r})"
    assert conf.get("workers") == 3, f"WEB_CONCURRENCY=3 must give 3 workers (got {conf.get('workers')!r})"
    assert load_conf(cpus=2, TIMEOUT="45").get("timeout") == 45, "TIMEOUT=45 must set timeout to 45"


@pytest.mark.parametrize("value", ["0", "many"])
def test_bad_web_concurrency_fails(load_conf, value):
    with pytest.raises(ValueError):
        load_conf(cpus=2, WEB_CONCURRENCY=value)
        pytest.fail(f"WEB_CONCURRENCY={value!r} must raise ValueError, not start a misconfigured server")


def test_only_real_gunicorn_settings(load_conf):
    conf = load_conf(cpus=2)
    unknown = sorted(set(conf) - GUNICORN_SETTINGS)
    hints = {name: difflib.get_close_matches(name, GUNICORN_SETTINGS, n=1) for name in unknown}
    assert not unknown, (
        f"gunicorn silently ignores unknown names, so these do nothing: {hints} "
        "(name -> closest real setting). Fix the typo, or prefix helpers with '_'"
    )


@pytest.mark.parametrize("env", [{}, {"TIMEOUT": "10"}, {"GRACEFUL_TIMEOUT": "90"}])
def test_graceful_timeout_not_above_timeout(load_conf, env):
    conf = load_conf(cpus=2, **env)
    timeout, graceful = conf.get("timeout"), conf.get("graceful_timeout")
    assert isinstance(timeout, int) and isinstance(graceful, int), "set both timeout and graceful_timeout (ints)"
    assert 0 < graceful <= timeout, f"with env {env}: graceful_timeout={graceful} must be <= timeout={timeout}"


# --- settings ----------------------------------------------------------------------------------------

def test_missing_database_url_is_named():
    for env in ({}, {"DATABASE_URL": ""}, {"DATABASE_URL": "   "}):
        with pytest.raises(SettingsError) as info:
            load_settings(env)
            pytest.fail(f"load_settings({env}) must raise SettingsError: there is no safe default database")
        assert "DATABASE_URL" in str(info.value), f"the error must name DATABASE_URL (got {info.value!s})"


def test_defaults():
    s = load_settings({"DATABASE_URL": "sqlite://"})
    assert s.database_url == "sqlite://"
    assert s.debug is False, "DEBUG unset must give debug=False"
    assert s.environment == "prod", "APP_ENV unset must default to 'prod' (safe by default)"


@pytest.mark.parametrize("raw,expected", [
    ("false", False), ("False", False), ("0", False), ("no", False), ("off", False),
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("on", True), (" true ", True),
])
def test_debug_parsing(raw, expected):
    assert parse_bool(raw) is expected, f"parse_bool({raw!r}) must be {expected}"
    s = load_settings({"DATABASE_URL": "sqlite://", "DEBUG": raw})
    assert s.debug is expected, f"DEBUG={raw!r} must give debug={expected} (bool('false') is True)"


@pytest.mark.parametrize("raw", ["maybe", "", "2", "enabled"])
def test_bad_debug_raises(raw):
    with pytest.raises(ValueError):
        parse_bool(raw)
        pytest.fail(f"parse_bool({raw!r}) must raise ValueError")
    with pytest.raises(SettingsError) as info:
        load_settings({"DATABASE_URL": "sqlite://", "DEBUG": raw})
        pytest.fail(f"DEBUG={raw!r} must raise SettingsError")
    assert "DEBUG" in str(info.value), f"the error must name DEBUG (got {info.value!s})"


def test_app_env_is_validated():
    assert load_settings({"DATABASE_URL": "sqlite://", "APP_ENV": "dev"}).environment == "dev"
    with pytest.raises(SettingsError) as info:
        load_settings({"DATABASE_URL": "sqlite://", "APP_ENV": "production"})
        pytest.fail("APP_ENV='production' must raise SettingsError (allowed: dev, test, prod)")
    assert "APP_ENV" in str(info.value)


def test_all_problems_reported_at_once():
    with pytest.raises(SettingsError) as info:
        load_settings({"DEBUG": "maybe"})
    message = str(info.value)
    assert "DATABASE_URL" in message and "DEBUG" in message, (
        f"report every bad variable in one error so one deploy fixes them all (got {message!s})"
    )


def test_load_settings_reads_os_environ(clean_env):
    clean_env.setenv("DATABASE_URL", "sqlite://")
    clean_env.setenv("DEBUG", "false")
    clean_env.setenv("APP_ENV", "test")
    assert load_settings() == Settings(database_url="sqlite://", debug=False, environment="test")


def test_create_app_fails_fast_without_database_url(clean_env):
    with pytest.raises(SettingsError):
        create_app()
        pytest.fail("create_app() with no DATABASE_URL must raise at startup, not on the first request")


# --- the app -----------------------------------------------------------------------------------------

class FakeDB:
    def __init__(self, up=True):
        self.up, self.calls = up, 0

    def __call__(self):
        self.calls += 1
        if not self.up:
            raise ConnectionError("could not connect to postgresql://pnl:hunter2@db:5432/pnl")


def test_readiness_fails_but_liveness_stays_up():
    db = FakeDB(up=False)
    client = TestClient(create_app(Settings("sqlite://", environment="test"), db_check=db))
    live = client.get("/healthz")
    assert live.status_code == 200, f"/healthz must be 200 while the DB is down (got {live.status_code})"
    assert db.calls == 0, "/healthz must not touch the database: a DB blip would restart every container"
    ready = client.get("/readyz")
    assert ready.status_code == 503, f"/readyz must be 503 when the DB check raises (got {ready.status_code})"
    assert db.calls == 1, "/readyz must run the DB check"
    assert "hunter2" not in ready.text, "/readyz must not echo the exception: it contains the DSN password"


def test_readiness_ok_when_db_up():
    db = FakeDB(up=True)
    client = TestClient(create_app(Settings("sqlite://", environment="test"), db_check=db))
    assert client.get("/readyz").status_code == 200, "/readyz must be 200 when the DB check passes"
    assert db.calls == 1


def test_default_db_check_uses_database_url(tmp_path):
    ok = TestClient(create_app(Settings("sqlite://", environment="test")))
    assert ok.get("/readyz").status_code == 200, "with DATABASE_URL=sqlite:// the default check must pass"
    missing_dir = tmp_path / "does-not-exist" / "pnl.db"
    down = TestClient(create_app(Settings(f"sqlite:///{missing_dir}", environment="test")))
    assert down.get("/readyz").status_code == 503, "an unreachable database must give 503, not 500"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_docs_hidden_in_prod(path):
    client = TestClient(create_app(Settings("sqlite://", environment="prod"), db_check=FakeDB()))
    assert client.get(path).status_code == 404, f"{path} must be 404 in prod (the schema maps your whole API)"


def test_docs_available_in_dev(clean_env):
    clean_env.setenv("DATABASE_URL", "sqlite://")
    clean_env.setenv("APP_ENV", "dev")
    client = TestClient(create_app(db_check=FakeDB()))
    assert client.get("/docs").status_code == 200, "/docs must be served when APP_ENV=dev"
    assert client.get("/openapi.json").status_code == 200, "/openapi.json must be served when APP_ENV=dev"
