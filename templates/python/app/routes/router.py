{% include "python/_partials/header.py" %}
"""CRUD routes of `/api/v1/{{ api.path }}`."""

{{ api.router }}
