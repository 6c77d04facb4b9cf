{% include "python/_partials/header.py" %}
"""The FastAPI application: `uvicorn app.main:app`."""

import json

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from app import models
from app.db import get_engine
from app.extensions import register
from app.routes import ROUTERS


def operation_id(route: APIRoute) -> str:
    """The OpenAPI operation id of a route: its router's tag, then its function
    (`posts-list_posts`), which client generators turn into `PostsService.listPosts`."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


app = FastAPI(
    title={{ project.title }},
    version="0.1.0",
    generate_unique_id_function=operation_id,
)

# Importing the models registers them; the name keeps the import explicit.
_MODELS = models.__all__
for router in ROUTERS:
    app.include_router(router)
# Your own additions live in app/extensions.py, which regeneration never touches.
register(app)


@app.exception_handler(RequestValidationError)
def invalid_request(_request: Request, error: RequestValidationError) -> Response:
    """422 with where and why, never the input itself: echoing it could fail to encode
    (a lone surrogate, an infinite number) and turn a client error into a 500."""
    details = [
        {
            "type": str(item.get("type")),
            "loc": [str(part) for part in item.get("loc", ())],
            "msg": str(item.get("msg")),
        }
        for item in error.errors()
    ]
    body = json.dumps({"detail": details}, ensure_ascii=True, allow_nan=False)
    return Response(body, status_code=422, media_type="application/json")


@app.get("/health")
def health() -> JSONResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with get_engine().connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
