{% include "python/_partials/header.py" %}
"""Settings read from the environment (`.env.example` lists them)."""

import os

DEFAULT_DATABASE_URL = {{ project.default_database_url }}


def database_url() -> str:
    """The app's SQLAlchemy URL: `DATABASE_URL`, else an embedded SQLite file."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def test_database_url() -> str | None:
    """The tests' own database (`TEST_DATABASE_URL`), if set; else tests/conftest.py
    derives one from the app's (see there)."""
    return os.environ.get("TEST_DATABASE_URL") or None
