{% include "python/_partials/header.py" %}
"""Constraint violations described in words, for 409 responses."""

import re

import sqlalchemy as sa

# What each named constraint means; SQLite reports a unique violation by column
# (`table.column`) instead of by name.
CONSTRAINT_MESSAGES: dict[str, str] = {
{%- for (name, message) in project.constraint_messages %}
    {{ name }}: {{ message }},
{%- endfor %}
}

# The unique keys a client sets in each soft-delete table. A deleted row keeps its
# values, so it can hold a value that a new or changed row is refused (see `crud.commit`).
{%- if project.soft_delete_keys.is_empty() %}
SOFT_DELETE_KEYS: dict[str, list[tuple[str, ...]]] = {}
{%- else %}
SOFT_DELETE_KEYS: dict[str, list[tuple[str, ...]]] = {
{%- for entry in project.soft_delete_keys %}
{{ entry }}
{%- endfor %}
}
{%- endif %}

_NAMED = (
    re.compile(r"for key '(?:[^.']*\.)?([^']+)'"),  # MariaDB, unique
    re.compile(r"CONSTRAINT `([^`]+)`"),  # MariaDB, foreign key
    re.compile(r"UNIQUE constraint failed: ([\w.]+)"),  # SQLite
)


def constraint_name(error: sa.exc.IntegrityError) -> str | None:
    """The name of the violated constraint, as far as the driver tells it (MariaDB names
    every primary key `PRIMARY`)."""
    diag = getattr(error.orig, "diag", None)  # psycopg
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    message = str(error.orig)
    for pattern in _NAMED:
        match = pattern.search(message)
        if match:
            return match.group(1)
    return None


def conflict_detail(name: str | None, error: sa.exc.IntegrityError) -> str:
    """A sentence naming the violated constraint `name`."""
    if name is not None and name in CONSTRAINT_MESSAGES:
        return CONSTRAINT_MESSAGES[name]
    if "FOREIGN KEY" in str(error.orig).upper():
        return (
            "a foreign key is violated: a referenced row is missing or still referenced"
        )
    return "the change conflicts with a constraint of the database"


def held_by_deleted_detail(table: str, columns: tuple[str, ...]) -> str:
    """A sentence saying that a deleted row of `table` holds the value of `columns`."""
    names = ", ".join(f"`{column}`" for column in columns)
    return (
        f"{names} must be unique: a deleted `{table}` row holds this value (a deleted"
        " row reads as absent but keeps its values)"
    )
