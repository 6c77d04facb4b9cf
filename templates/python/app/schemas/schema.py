{% include "python/_partials/header.py" %}
"""Request and response bodies of `/api/v1/{{ api.path }}`."""

{{ api.schema_imports }}
{%- for alias in api.enum_aliases %}

{{ alias }}
{%- endfor %}


class {{ api.class_name }}Create(BaseModel):
    """The body of a create: required fields have no default."""

    model_config = ConfigDict(extra="forbid")
{%- if !api.create_fields.is_empty() %}
{% for field in api.create_fields %}
{{ field }}
{%- endfor %}
{%- endif %}


class {{ api.class_name }}Update(BaseModel):
    """The body of a partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")
{%- if !api.update_fields.is_empty() %}
{% for field in api.update_fields %}
{{ field }}
{%- endfor %}
{%- endif %}
{%- if let Some(fields) = api.update_not_null %}

    @model_validator(mode="after")
    def _not_null(self) -> Self:
{{ fields }}
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self
{%- endif %}


class {{ api.class_name }}Read(BaseModel):
    """A stored row."""

    model_config = ConfigDict(from_attributes=True)
{% for field in api.read_fields %}
{{ field }}
{%- endfor %}


class {{ api.class_name }}Page(BaseModel):
    """One page of rows and the number of rows that match."""

    data: list[{{ api.class_name }}Read]
    count: int


class {{ api.class_name }}Query(BaseModel):
    """Pagination, sorting (`?sort=a,-b`) and equality filters of the list endpoint."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=2147483647)
    sort: str | None = None
{%- for field in api.query_fields %}
{{ field }}
{%- endfor %}
