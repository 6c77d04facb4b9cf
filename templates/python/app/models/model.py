{% include "python/_partials/header.py" %}
{%- if let Some(doc) = model.module_docstring %}
"""{{ doc }}"""
{%- else %}
"""The `{{ model.table_name.text() }}` table."""
{%- endif %}

from __future__ import annotations

{{ model.imports }}


{{ model.body }}
