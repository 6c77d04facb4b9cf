{% include "python/_partials/header.py" %}
"""Create every table.

Revision ID: 0001
Revises:
"""

{{ migration.imports }}

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB: every table in utf8mb4 with a binary, no-pad collation, so that strings
# compare exactly (as app.db.Base declares).
TABLE_OPTIONS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
    "mariadb_charset": "utf8mb4",
    "mariadb_collate": "utf8mb4_nopad_bin",
}


{{ migration.functions }}
