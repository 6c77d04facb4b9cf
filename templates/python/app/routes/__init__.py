{% include "python/_partials/header.py" %}
"""The routers, one module per table."""

from fastapi import APIRouter

{{ project.routes_import }}

ROUTERS: list[APIRouter] = [
{%- for api in project.apis %}
    {{ api.module }}.router,
{%- endfor %}
]
