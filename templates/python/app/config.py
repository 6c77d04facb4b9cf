{% include "python/_partials/header.py" %}
"""The app's settings, read from the environment or a `.env` file (`.env.example` lists
them)."""

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = {{ project.default_database_url }}


class Settings(BaseSettings):
    """Each field is read from the environment variable of its name in capitals
    (`DATABASE_URL`), else from `.env` in the working directory, else its default."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The app's SQLAlchemy URL; unset or empty, an embedded SQLite file.
    database_url: str = ""
    # The tests' own database; unset, tests/conftest.py derives one from the app's.
    test_database_url: str = ""


def database_url() -> str:
    """The app's SQLAlchemy URL: `DATABASE_URL`, else an embedded SQLite file."""
    return Settings().database_url or DEFAULT_DATABASE_URL


def test_database_url() -> str | None:
    """The tests' own database (`TEST_DATABASE_URL`), if set; else tests/conftest.py
    derives one from the app's (see there)."""
    return Settings().test_database_url or None
