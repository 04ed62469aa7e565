"""P&L API: fail-fast settings, an app factory, and honest health checks."""
import os
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text

ENVIRONMENTS = ("dev", "test", "prod")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    debug: bool = False
    environment: str = "prod"


def parse_bool(value: str) -> bool:
    """Strict boolean parsing: bool("false") is True, so never use bool() on an env var."""
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r} (use true/false, 1/0, yes/no, on/off)")


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Read settings from `env` (default: os.environ) and report every problem at once."""
    env = os.environ if env is None else env
    problems = []

    database_url = env.get("DATABASE_URL", "").strip()
    if not database_url:
        # No default: a fallback like sqlite:///dev.db would let production start against an empty file.
        problems.append("DATABASE_URL is required")

    debug = False
    if env.get("DEBUG") is not None:
        try:
            debug = parse_bool(env["DEBUG"])
        except ValueError as exc:
            problems.append(f"DEBUG: {exc}")

    environment = env.get("APP_ENV", "prod").strip().lower()
    if environment not in ENVIRONMENTS:
        problems.append(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")

    if problems:
        raise SettingsError("invalid settings: " + "; ".join(problems))
    return Settings(database_url=database_url, debug=debug, environment=environment)


def make_db_check(database_url: str) -> Callable[[], None]:
    """A readiness probe that runs SELECT 1; it raises if the database cannot be reached."""
    engine = create_engine(database_url, future=True, pool_pre_ping=True)

    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return check


def create_app(settings: Optional[Settings] = None, *, db_check: Optional[Callable[[], None]] = None) -> FastAPI:
    """Build the app. With no arguments it reads the environment, so bad config stops the worker at boot."""
    settings = settings if settings is not None else load_settings()
    db_check = db_check if db_check is not None else make_db_check(settings.database_url)

    public_docs = settings.environment != "prod"
    app = FastAPI(
        title="P&L API",
        debug=settings.debug,
        # In production the schema is an attack map: turn off the UI *and* the JSON it is built from.
        docs_url="/docs" if public_docs else None,
        redoc_url="/redoc" if public_docs else None,
        openapi_url="/openapi.json" if public_docs else None,
    )
    app.state.settings = settings

    @app.get("/healthz")
    def healthz():
        # Liveness: is this process able to answer? It must not depend on the database, or a DB blip
        # makes the orchestrator restart every healthy container at once.
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        # Readiness: should traffic be routed here? A sync def runs in the threadpool, off the event loop.
        try:
            db_check()
        except Exception:
            # Never echo the exception: driver errors often contain the DSN, password included.
            return JSONResponse(status_code=503, content={"status": "unavailable", "checks": {"database": "down"}})
        return {"status": "ready", "checks": {"database": "ok"}}

    return app
