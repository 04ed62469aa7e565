"""Gunicorn settings for the P&L API, driven by the environment (12-factor).

Gunicorn executes this file and keeps every top-level name that is a Gunicorn setting; any other
name is silently ignored, so a typo such as `max_request` would quietly do nothing. Helpers are
therefore private (leading underscore) and every public name below is a real setting.
Run with:  gunicorn -c gunicorn.conf.py
"""
import multiprocessing
import os


def _int_env(name, default, minimum=1):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = int(raw)  # "many" raises ValueError: a bad deploy should fail at boot, not guess
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


_MAX_WORKERS = 8  # each worker holds its own model/DB pool; past this, add containers, not processes

# 0.0.0.0, not 127.0.0.1: inside a container, loopback is unreachable from the host or load balancer.
bind = f"0.0.0.0:{_int_env('PORT', 8000)}"

# The classic (2 x CPUs) + 1, unless the platform says otherwise; capped either way.
workers = min(_int_env("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1), _MAX_WORKERS)

# Gunicorn manages the processes; each worker runs an asyncio event loop through Uvicorn.
# (uvicorn >= 0.30 points to the separate `uvicorn-worker` package: "uvicorn_worker.UvicornWorker".)
worker_class = "uvicorn.workers.UvicornWorker"

# A worker silent for `timeout` seconds is killed and replaced.
timeout = _int_env("TIMEOUT", 30)
# On SIGTERM, in-flight requests get this long to finish. Never longer than a request may take, and
# it must fit in the orchestrator's stop window (ECS stopTimeout / Kubernetes grace period, 30 s by default).
graceful_timeout = min(_int_env("GRACEFUL_TIMEOUT", 20), timeout)

keepalive = 5                 # a little above nothing; the load balancer holds the long-lived connections
max_requests = 1000           # recycle workers to cap slow leaks (C extensions, caches)
max_requests_jitter = 100     # ... but not all at the same moment

accesslog = "-"               # logs to stdout/stderr; the platform collects them
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

wsgi_app = "pnl_service:create_app()"  # an app factory: settings are loaded (and validated) per worker
