{% include "python/_partials/header.py" %}
"""Settings read from the environment."""

import os

DEFAULT_DATABASE_URL = {{ project.default_database_url }}


def database_url() -> str:
    """The database's SQLAlchemy URL: `DATABASE_URL`, else an embedded SQLite file."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
