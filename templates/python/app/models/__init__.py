{% include "python/_partials/header.py" %}
"""Every model, imported so that relationships between them resolve."""

{% for model in project.models -%}
{{ model.import_line }}
{% endfor %}
__all__ = [
{%- for model in project.models %}
    "{{ model.class_name }}",
{%- endfor %}
]
