"""P&L API: settings, an app factory and health checks. A first attempt: see README.md."""
import os
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from fastapi import FastAPI


class SettingsError(ValueError):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    debug: bool = False
    environment: str = "prod"


def parse_bool(value: str) -> bool:
    return bool(value)  # TODO: bool("false") is True


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    env = os.environ if env is None else env
    # TODO: fail fast, parse strictly, validate APP_ENV
    return Settings(
        database_url=env.get("DATABASE_URL", "sqlite:///./dev.db"),
        debug=parse_bool(env.get("DEBUG", "")),
        environment=env.get("APP_ENV", "dev"),
    )


def create_app(settings: Optional[Settings] = None, *, db_check: Optional[Callable[[], None]] = None) -> FastAPI:
    settings = settings if settings is not None else load_settings()
    # TODO: the docs should depend on the environment; for now the Swagger UI is simply off.
    app = FastAPI(title="P&L API", debug=settings.debug, docs_url=None)

    @app.get("/healthz")
    def healthz():
        if db_check is not None:
            db_check()
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        return {"status": "ready"}

    return app
