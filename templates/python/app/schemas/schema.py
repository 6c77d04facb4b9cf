{% include "python/_partials/header.py" %}
"""Request and response bodies of `/api/v1/{{ api.path }}`."""

{{ api.schemas }}
