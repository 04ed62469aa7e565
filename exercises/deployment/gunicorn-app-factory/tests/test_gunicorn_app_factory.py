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
from sqlalchemy import event
from sqlalchemy.engine import Engine

from pnl_service import Settings, SettingsError, create_app, load_settings, parse_bool
from roadmap_pytest import raises

HERE = pathlib.Path(__file__).resolve().parent
CONF = HERE / "gunicorn.conf.py"

WORKER_CLASSES = {"uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker"}
CONF_ENV = ("PORT", "WEB_CONCURRENCY", "TIMEOUT", "GRACEFUL_TIMEOUT", "LOG_LEVEL", "GUNICORN_CMD_ARGS")
APP_ENV_VARS = ("DATABASE_URL", "DEBUG", "APP_ENV")
BOOL_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
DOC_PATHS = ("/docs", "/redoc", "/openapi.json")

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
        if hasattr(os, "sched_getaffinity"):
            monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
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


class FakeDB:
    def __init__(self, up=True, error=ConnectionError):
        self.up, self.calls, self.error = up, 0, error

    def __call__(self):
        self.calls += 1
        if not self.up:
            raise self.error("could not connect to postgresql://pnl:hunter2@db:5432/pnl")


class DriverError(Exception):
    pass


def _client(db, environment="test"):
    return TestClient(create_app(Settings("sqlite://", environment=environment), db_check=db),
                      raise_server_exceptions=False)


# --- gunicorn.conf.py --------------------------------------------------------------------------------

@pytest.mark.rule("bind")
def test_bind_all_interfaces_on_port(load_conf):
    for env, expected in (({}, "0.0.0.0:8000"), ({"PORT": "9000"}, "0.0.0.0:9000"), ({"PORT": "8001"}, "0.0.0.0:8001")):
        conf = load_conf(cpus=2, **env)
        assert _binds(conf) == [expected], (
            f"with env {env}, bind must be {expected!r} (got {conf.get('bind')!r}); 127.0.0.1 is unreachable from "
            "outside a container, and PORT (default 8000) picks the port"
        )


@pytest.mark.rule("workers-default")
def test_workers_from_cpu_count_capped(load_conf):
    for cpus, expected in ((1, 3), (2, 5), (3, 7), (4, 8), (16, 8)):
        workers = load_conf(cpus=cpus).get("workers")
        assert workers == expected, (
            f"with {cpus} CPUs and no WEB_CONCURRENCY, workers = min(2*{cpus}+1, 8) = {expected} (got {workers!r})"
        )


@pytest.mark.rule("workers-env")
def test_web_concurrency_overrides_capped(load_conf):
    for cpus, value, expected in ((16, "1", 1), (16, "3", 3), (2, "8", 8), (2, "9", 8), (2, "32", 8)):
        workers = load_conf(cpus=cpus, WEB_CONCURRENCY=value).get("workers")
        assert workers == expected, (
            f"WEB_CONCURRENCY={value!r} with {cpus} CPUs must give {expected} workers (got {workers!r}): the "
            "variable wins over the CPU count, and is capped at 8"
        )


@pytest.mark.rule("workers-env", "workers-default")
def test_empty_web_concurrency_counts_as_unset(load_conf):
    workers = load_conf(cpus=2, WEB_CONCURRENCY="").get("workers")
    assert workers == 5, f"an empty WEB_CONCURRENCY counts as unset: 2 CPUs give 5 workers (got {workers!r})"


@pytest.mark.rule("workers-invalid")
def test_bad_web_concurrency_fails(load_conf):
    assert load_conf(cpus=2, WEB_CONCURRENCY="2").get("workers") == 2, "WEB_CONCURRENCY=2 must give 2 workers"
    for value in ("0", "-2", "many", "2.5"):
        with raises(ValueError, f"WEB_CONCURRENCY={value!r} must raise ValueError, not start a misconfigured server"):
            load_conf(cpus=2, WEB_CONCURRENCY=value)


@pytest.mark.rule("worker-class")
def test_uvicorn_worker_class(load_conf):
    conf = load_conf(cpus=2)
    assert conf.get("worker_class") in WORKER_CLASSES, (
        f"worker_class must be one of {sorted(WORKER_CLASSES)} (got {conf.get('worker_class')!r}); "
        "the default sync worker cannot run an ASGI app"
    )


@pytest.mark.rule("timeout")
def test_timeout_from_env(load_conf):
    for env, expected in (({}, 30), ({"TIMEOUT": "45"}, 45), ({"TIMEOUT": "10"}, 10)):
        timeout = load_conf(cpus=2, **env).get("timeout")
        assert timeout == expected, f"with env {env}, timeout must be {expected} (got {timeout!r})"


def _check_graceful(load_conf, cases):
    for env, expected in cases:
        graceful = load_conf(cpus=2, **env).get("graceful_timeout")
        assert graceful == expected, (
            f"with env {env}, graceful_timeout must be min(GRACEFUL_TIMEOUT or 20, timeout) = {expected} (got {graceful!r})"
        )


@pytest.mark.rule("graceful-timeout")
def test_graceful_timeout_clamped_to_default_timeout(load_conf):
    _check_graceful(load_conf, [({}, 20), ({"GRACEFUL_TIMEOUT": "5"}, 5), ({"GRACEFUL_TIMEOUT": "25"}, 25),
                                ({"GRACEFUL_TIMEOUT": "30"}, 30), ({"GRACEFUL_TIMEOUT": "31"}, 30),
                                ({"GRACEFUL_TIMEOUT": "90"}, 30)])


@pytest.mark.rule("graceful-timeout", "timeout")
def test_graceful_timeout_clamped_to_timeout_from_env(load_conf):
    _check_graceful(load_conf, [({"TIMEOUT": "10"}, 10), ({"TIMEOUT": "45", "GRACEFUL_TIMEOUT": "45"}, 45),
                                ({"TIMEOUT": "45", "GRACEFUL_TIMEOUT": "60"}, 45)])


@pytest.mark.rule("only-real-settings")
def test_only_real_gunicorn_settings(load_conf):
    conf = load_conf(cpus=2)
    assert "workers" in conf and "bind" in conf, "gunicorn.conf.py must set bind and workers"
    unknown = sorted(set(conf) - GUNICORN_SETTINGS)
    hints = {name: difflib.get_close_matches(name, GUNICORN_SETTINGS, n=1) for name in unknown}
    assert not unknown, (
        f"gunicorn silently ignores unknown names, so these do nothing: {hints} "
        "(name -> closest real setting). Fix the typo, or prefix helpers with '_'"
    )


# --- settings ----------------------------------------------------------------------------------------

def _variants(word):
    return [word, word.upper(), word.capitalize(), f"  {word} ", f"\t{word.upper()}\n"]


@pytest.mark.rule("parse-bool-accepts")
def test_parse_bool_accepts_words_in_any_case():
    for word, expected in BOOL_WORDS.items():
        for raw in (word, word.upper(), word.capitalize(), f"  {word} ", f"\t{word.upper()}\n"):
            assert parse_bool(raw) is expected, f"parse_bool({raw!r}) must be {expected}"


@pytest.mark.rule("parse-bool-rejects")
def test_parse_bool_rejects_anything_else():
    assert parse_bool("on") is True, "parse_bool('on') must be True"
    for raw in ("", "   ", "maybe", "2", "enabled", "tru", "y", "t", "none", "10", "true false"):
        with raises(ValueError, f"parse_bool({raw!r}) must raise ValueError (bool('false') is True; never guess)"):
            parse_bool(raw)


@pytest.mark.rule("database-url-required")
def test_database_url_is_required_and_named():
    assert issubclass(SettingsError, ValueError), "SettingsError must be a ValueError"
    url = "postgresql://pnl@db:5432/pnl"
    assert load_settings({"DATABASE_URL": url}).database_url == url, "DATABASE_URL must be kept as given"
    for env in ({}, {"DATABASE_URL": ""}, {"DATABASE_URL": "   "}):
        with raises(SettingsError, f"load_settings({env}) must raise SettingsError: there is no safe default database") as info:
            load_settings(env)
        assert "DATABASE_URL" in str(info.value), f"the error must name DATABASE_URL (got {info.value!s})"


@pytest.mark.rule("debug-setting")
def test_debug_parsed_strictly():
    for raw, expected in ((None, False), ("false", False), ("true", True), ("off", False), ("1", True),
                          ("0", False), ("no", False), ("yes", True)):
        env = {"DATABASE_URL": "sqlite://"} if raw is None else {"DATABASE_URL": "sqlite://", "DEBUG": raw}
        debug = load_settings(env).debug
        assert debug is expected, f"DEBUG={raw!r} must give debug={expected} (got {debug!r}; bool('false') is True)"


def _check_bad_debug(raw):
    with raises(SettingsError, f"DEBUG={raw!r} must raise SettingsError") as info:
        load_settings({"DATABASE_URL": "sqlite://", "DEBUG": raw})
    assert "DEBUG" in str(info.value), f"the error must name DEBUG (got {info.value!s})"


@pytest.mark.rule("debug-setting")
def test_bad_debug_is_named():
    for raw in ("maybe", "2"):
        _check_bad_debug(raw)


@pytest.mark.rule("debug-setting", "parse-bool-rejects")
def test_empty_debug_is_refused():
    _check_bad_debug("")


@pytest.mark.rule("app-env")
def test_app_env_defaults_to_prod_and_is_validated():
    assert load_settings({"DATABASE_URL": "sqlite://"}).environment == "prod", "APP_ENV unset must give 'prod'"
    for value in ("dev", "test", "prod"):
        got = load_settings({"DATABASE_URL": "sqlite://", "APP_ENV": value}).environment
        assert got == value, f"APP_ENV={value!r} must give environment {value!r} (got {got!r})"
    for value in ("production", "staging", "develop", ""):
        with raises(SettingsError, f"APP_ENV={value!r} must raise SettingsError (allowed: dev, test, prod)") as info:
            load_settings({"DATABASE_URL": "sqlite://", "APP_ENV": value})
        assert "APP_ENV" in str(info.value), f"the error must name APP_ENV (got {info.value!s})"


@pytest.mark.rule("one-error", "database-url-required", "debug-setting", "app-env")
def test_all_problems_reported_at_once():
    for env, names in (
        ({"DEBUG": "maybe", "APP_ENV": "staging"}, ("DATABASE_URL", "DEBUG", "APP_ENV")),
        ({"DEBUG": "maybe"}, ("DATABASE_URL", "DEBUG")),
        ({"APP_ENV": "staging"}, ("DATABASE_URL", "APP_ENV")),
        ({"DATABASE_URL": "sqlite://", "DEBUG": "maybe", "APP_ENV": "staging"}, ("DEBUG", "APP_ENV")),
    ):
        with raises(SettingsError, f"load_settings({env}) must raise SettingsError") as info:
            load_settings(env)
        message = str(info.value)
        missing = [name for name in names if name not in message]
        assert not missing, (
            f"one SettingsError must name every bad variable, so one redeploy fixes them all: {missing} missing "
            f"from {message!r} (env {env})"
        )


@pytest.mark.rule("fail-fast-startup")
def test_settings_come_from_the_environment_at_startup(clean_env):
    clean_env.setenv("DEBUG", "maybe")
    clean_env.setenv("APP_ENV", "production")
    with raises(SettingsError, "create_app() in an environment with no DATABASE_URL, DEBUG=maybe and APP_ENV=production "
                               "must raise SettingsError at startup, not on the first request"):
        create_app(db_check=FakeDB())
    clean_env.setenv("DATABASE_URL", "sqlite://")
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv("APP_ENV", "test")
    assert load_settings() == Settings(database_url="sqlite://", debug=True, environment="test"), (
        "load_settings() with no argument must read os.environ"
    )
    clean_env.setenv("APP_ENV", "dev")
    client = TestClient(create_app(db_check=FakeDB()))
    assert client.get("/docs").status_code == 200, "create_app() must use the environment's settings (APP_ENV=dev serves /docs)"


# --- the app -----------------------------------------------------------------------------------------

@pytest.mark.rule("healthz-liveness")
def test_liveness_never_touches_the_database():
    for up in (True, False):
        db = FakeDB(up=up)
        live = _client(db).get("/healthz")
        state = "up" if up else "down"
        assert live.status_code == 200, f"/healthz must be 200 while the DB is {state} (got {live.status_code})"
        assert live.json().get("status") == "ok", f"/healthz must answer {{'status': 'ok'}} (got {live.text})"
        assert db.calls == 0, "/healthz must not call db_check: a DB blip would restart every container"


@pytest.mark.rule("readyz-readiness")
def test_readiness_follows_the_database_on_every_request():
    for error in (ConnectionError, OSError, RuntimeError, DriverError):
        db = FakeDB(up=True, error=error)
        client = _client(db)
        ready = client.get("/readyz")
        assert ready.status_code == 200, f"/readyz must be 200 when the DB check passes (got {ready.status_code})"
        assert ready.json().get("status") == "ready", f"/readyz must answer status 'ready' (got {ready.text})"
        db.up = False
        down = client.get("/readyz")
        assert down.status_code == 503, (
            f"/readyz must be 503 when the DB check raises {error.__name__} (got {down.status_code}): catch any Exception"
        )
        assert down.json().get("status") == "unavailable", f"/readyz must answer status 'unavailable' (got {down.text})"
        db.up = True
        assert client.get("/readyz").status_code == 200, "/readyz must be 200 again once the DB is back"
        assert db.calls == 3, f"/readyz must run the DB check on every request (3 requests, {db.calls} checks)"


@pytest.mark.rule("readyz-hides-error")
def test_readiness_does_not_echo_the_exception():
    down = _client(FakeDB(up=False)).get("/readyz")
    assert down.status_code == 503, f"/readyz must be 503 when the DB check raises (got {down.status_code})"
    for secret in ("hunter2", "could not connect", "postgresql://", "db:5432", "5432/pnl"):
        assert secret not in down.text, f"/readyz must not echo the exception: {secret!r} is in {down.text!r}"


@pytest.mark.rule("default-db-check")
def test_default_db_check_uses_the_settings_database_url(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'env.db'}")
    ok = TestClient(create_app(Settings("sqlite://", environment="test")), raise_server_exceptions=False)
    assert ok.get("/readyz").status_code == 200, "with Settings('sqlite://') the default check must pass"
    existing = tmp_path / "pnl.db"
    on_disk = TestClient(create_app(Settings(f"sqlite:///{existing}", environment="test")), raise_server_exceptions=False)
    assert on_disk.get("/readyz").status_code == 200, "a reachable sqlite file must give 200"
    missing = tmp_path / "does-not-exist" / "pnl.db"
    down = TestClient(create_app(Settings(f"sqlite:///{missing}", environment="test")), raise_server_exceptions=False)
    assert down.get("/readyz").status_code == 503, "an unreachable database (settings.database_url) must give 503"


@pytest.mark.rule("default-db-check", "readyz-readiness")
def test_default_db_check_runs_a_query_on_every_probe(tmp_path):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client = TestClient(create_app(Settings(f"sqlite:///{tmp_path / 'pnl.db'}", environment="test")),
                        raise_server_exceptions=False)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        for probe in (1, 2, 3):
            statements.clear()
            status = client.get("/readyz").status_code
            assert status == 200, f"/readyz probe {probe} on a reachable sqlite file must be 200 (got {status})"
            assert statements, (
                f"/readyz probe {probe} ran no SQL through SQLAlchemy: the default check must run SELECT 1 "
                "(conn.execute(text('SELECT 1'))) every time; a pooled connection can be handed out without "
                "the database answering at all"
            )
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.rule("docs-hidden-in-prod")
def test_docs_hidden_in_prod():
    assert _client(FakeDB(), "prod").get("/healthz").status_code == 200, "/healthz must be served in prod"
    for path in DOC_PATHS:
        status = _client(FakeDB(), "prod").get(path).status_code
        assert status == 404, f"{path} must be 404 in prod (got {status}): the schema maps your whole API"


@pytest.mark.rule("docs-served-outside-prod")
def test_docs_served_in_dev_and_test():
    for environment in ("dev", "test"):
        client = _client(FakeDB(), environment)
        for path in DOC_PATHS:
            status = client.get(path).status_code
            assert status == 200, f"{path} must be served when environment={environment!r} (got {status})"
