# This file is yours: backbone created it once and never overwrites or deletes it.
"""Your additions to the generated backend: routes, middleware, event handlers."""

from fastapi import FastAPI


def register(app: FastAPI) -> None:
    """Called once by `app.main` after the generated routers are included."""
