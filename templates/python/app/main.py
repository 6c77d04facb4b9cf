{% include "python/_partials/header.py" %}
"""The FastAPI application: `uvicorn app.main:app`."""

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from app import models
from app.db import engine
from app.routes import ROUTERS

app = FastAPI(title={{ project.title }}, version="0.1.0")

# Importing the models registers them; the name keeps the import explicit.
_MODELS = models.__all__
for router in ROUTERS:
    app.include_router(router)


@app.get("/health")
def health() -> JSONResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
