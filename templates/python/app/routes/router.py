{% include "python/_partials/header.py" %}
"""CRUD routes of `/api/v1/{{ api.path }}`."""

{{ api.router_imports }}

{{ api.router_line }}

COLUMNS: dict[str, typing.Any] = {
{%- for column in api.columns %}
    {{ column }},
{%- endfor %}
}
{%- if api.soft_delete %}


def _live(row: {{ api.class_name }}) -> bool:
    return not row.is_deleted
{%- endif %}


@router.get("", response_model={{ api.class_name }}Page)
{{ api.list_signature }}
    """Rows matching the filters, a page at a time, with the total count."""
{%- if api.soft_delete %}
    live = {{ api.class_name }}.is_deleted.is_(False)
{%- else %}
    live = None
{%- endif %}
    rows, count = crud.page(session, {{ api.class_name }}, query, COLUMNS, live)
    return {"data": rows, "count": count}


{{ api.create_decorator }}
{{ api.create_signature }}
    """Stores a new row and returns it as stored."""
    row = {{ api.class_name }}(**body.model_dump(exclude_unset=True))
    session.add(row)
    crud.commit(session)
    session.refresh(row)
    return row


{{ api.read_decorator }}
{{ api.read_signature }}
    """The row with this key, or 404."""
{{ api.return_row }}


{{ api.update_decorator }}
{{ api.update_signature }}
    """Changes the fields given and returns the row."""
{{ api.fetch_row }}
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(row, field, value)
    crud.commit(session)
    session.refresh(row)
    return row


{{ api.delete_decorator }}
{{ api.delete_signature }}
{%- if api.soft_delete %}
    """Marks the row deleted; it then reads as absent."""
{%- else %}
    """Deletes the row."""
{%- endif %}
{{ api.fetch_row }}
{%- if api.soft_delete %}
    row.deleted_at = utcnow()
    row.is_deleted = True
{%- else %}
    session.delete(row)
{%- endif %}
    crud.commit(session)
    return fastapi.Response(status_code=204)
{%- for link in api.links %}


{{ link.list_decorator }}
{{ link.list_signature }}
    """The linked `{{ link.target_class }}` rows."""
{{ api.fetch_row }}
{%- if link.target_soft_delete %}
    return [other for other in row.{{ link.attr }} if not other.is_deleted]
{%- else %}
    return list(row.{{ link.attr }})
{%- endif %}


{{ link.link_decorator }}
{{ link.link_signature }}
    """Links the two rows (nothing changes if they are linked already)."""
{{ api.fetch_row }}
{{ link.fetch_other }}
{{ link.link }}
    return fastapi.Response(status_code=204)


{{ link.unlink_decorator }}
{{ link.unlink_signature }}
    """Unlinks the two rows (nothing changes if they are not linked)."""
{{ api.fetch_row }}
{{ link.fetch_other }}
{{ link.unlink }}
    return fastapi.Response(status_code=204)
{%- endfor %}
