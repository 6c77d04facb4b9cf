{% include "python/_partials/header.py" %}
"""Every model, imported so that relationships between them resolve."""

{% for model in project.models -%}
from app.models.{{ model.module }} import {{ model.class_name }}
{% endfor %}
__all__ = [
{%- for model in project.models %}
    "{{ model.class_name }}",
{%- endfor %}
]
