"""Rows in the app's own database, to show that the generated tests leave them alone.

Run with the python that scripts/python-env prints, with DATABASE_URL naming the app's
migrated database:

    rows.py PROJECT_DIR insert    create one row through each factory of the project's
                                  tests (tests/factories.py; parents come along), through
                                  the app's own routes
    rows.py PROJECT_DIR count     print {"table": number of rows, ...} as JSON

Errors exit 1 with a traceback; usage errors exit 2.
"""

from __future__ import annotations

import inspect
import json
import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("insert", "count"):
        print(__doc__, file=sys.stderr)
        return 2
    project, command = argv
    os.chdir(project)
    sys.path.insert(0, os.getcwd())
    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from app.db import Base, get_engine
    from app.main import app

    engine = get_engine()
    if command == "insert":
        from tests import factories

        with TestClient(app) as client:
            for name, factory in inspect.getmembers(factories, inspect.isfunction):
                if name.startswith("create_") and factory.__module__ == factories.__name__:
                    factory(client)
    else:
        with engine.connect() as connection:
            counts = {
                table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
            }
        print(json.dumps(counts, sort_keys=True))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
