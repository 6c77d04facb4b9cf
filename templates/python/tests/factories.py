{% include "python/_partials/header.py" %}
"""Valid rows created through the API, parents first."""

from typing import Any

from fastapi.testclient import TestClient
{%- if project.factories_use_values %}

from tests import values
{%- endif %}
{%- for factory in project.factories %}


def {{ factory.body_function }}(client: TestClient, **fields: Any) -> dict[str, Any]:
    """A valid body for `POST {{ factory.path }}`, its parents created first; `fields`
    override the generated values.
    """
{%- if factory.uses_number %}
    n = values.number()
{%- endif %}
    body: dict[str, Any] = {}
{%- for statement in factory.statements %}
{{ statement }}
{%- endfor %}
    body.update(fields)
    return body


def {{ factory.function }}(client: TestClient, **fields: Any) -> dict[str, Any]:
    """A new row of `{{ factory.path }}`; `fields` override the generated values."""
    response = client.post("{{ factory.path }}", json={{ factory.body_function }}(client, **fields))
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row
{%- endfor %}
