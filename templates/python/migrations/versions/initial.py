{% include "python/_partials/header.py" %}
"""Create every table.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
{%- if migration.drops_enum_types %}
from sqlalchemy.dialects import postgresql
{%- endif %}

{%- if migration.uses_utc_datetime %}

from app.db import UtcDateTime
{%- endif %}

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
{%- for statement in migration.upgrade %}
{{ statement }}
{%- endfor %}


def downgrade() -> None:
{%- if migration.drops_enum_types %}
    on_postgresql = op.get_context().dialect.name == "postgresql"
{%- endif %}
{%- for statement in migration.downgrade %}
{{ statement }}
{%- endfor %}
