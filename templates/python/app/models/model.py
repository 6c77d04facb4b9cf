{% include "python/_partials/header.py" %}
{%- if let Some(doc) = model.module_docstring %}
"""{{ doc }}"""
{%- else %}
"""The `{{ model.table_name.text() }}` table."""
{%- endif %}

from __future__ import annotations

{{ model.imports }}


class {{ model.class_name }}(Base):
{%- if let Some(doc) = model.docstring %}
    """{{ doc }}"""
{%- else %}
    """A row of `{{ model.table_name.text() }}`."""
{%- endif %}

    __tablename__ = {{ model.table_name }}

{% for attribute in model.attributes -%}
{{ attribute }}
{% endfor -%}
