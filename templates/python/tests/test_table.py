{% include "python/_partials/header.py" %}
"""The routes of `{{ test.path }}`."""

from typing import Any

from fastapi.testclient import TestClient

from tests import factories{% if test.uses_values %}, values{% endif %}

PATH = "{{ test.path }}"
KEY = {{ test.key_names }}


def _url(row: dict[str, Any]) -> str:
    return PATH + "".join(f"/{row[name]}" for name in KEY)


def test_create_read_list_update_delete(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)

    read = client.get(_url(row))
    assert read.status_code == 200, read.text
    assert read.json() == row

{{ test.list_call }}
    assert listed.status_code == 200, listed.text
    assert row in listed.json()["data"]
{%- if let Some((field, value)) = test.update %}

    changed = {{ value }}
    updated = client.patch(_url(row), json={ {{- field }}: changed})
    assert updated.status_code == 200, updated.text
    assert updated.json()[{{ field }}] == changed
{%- endif %}

    deleted = client.delete(_url(row))
    assert deleted.status_code == 204, deleted.text
    assert client.get(_url(row)).status_code == 404


def test_unknown_fields_are_rejected(client: TestClient) -> None:
    response = client.post(PATH, json={"__not_a_column__": 1})
    assert response.status_code == 422, response.text


def test_bad_pagination_and_sorting_are_rejected(client: TestClient) -> None:
    cases: list[dict[str, Any]] = [
        {"limit": 0},
        {"offset": -1},
        {"sort": "__not_a_column__"},
        {"__not_a_column__": 1},
    ]
    for params in cases:
        response = client.get(PATH, params=params)
        assert response.status_code == 422, (params, response.text)
        # Every 422 has FastAPI's shape: a list of {type, loc, msg}.
        for error in response.json()["detail"]:
            assert sorted(error) == ["loc", "msg", "type"], (params, error)
    bad_sort = client.get(PATH, params={"sort": "-__not_a_column__"})
    assert [error["loc"] for error in bad_sort.json()["detail"]] == [["query", "sort"]]
{%- if let Some(fields) = test.text_fields %}


def test_text_no_database_can_store_is_rejected(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
{{ fields }}
        for text in values.UNSTORABLE:
            body = factories.{{ test.body_function }}(client)
            created = client.post(
                PATH,
                content=values.with_raw(body, field, text),
                headers=values.JSON_HEADERS,
            )
            assert created.status_code == 422, (field, text, created.text)
            assert text not in created.content
            changed = client.patch(
                _url(row),
                content=values.with_raw({}, field, text),
                headers=values.JSON_HEADERS,
            )
            assert changed.status_code == 422, (field, text, changed.text)
        listed = client.get(PATH, params={field: "a\x00b"})
        assert listed.status_code == 422, (field, listed.text)
    assert client.get(_url(row)).json() == row
{%- endif %}
{%- if let Some(write_only) = test.write_only %}


def test_write_only_fields_are_written_never_read(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
{%- if write_only.uses_number %}
    n = values.number()
{%- endif %}
{{ write_only.written }}
    updated = client.patch(_url(row), json=dict(written))
    assert updated.status_code == 200, updated.text
{{ write_only.fields }}
        assert field not in row, field
        assert field not in updated.json(), field
        # Neither a filter nor a sort key: either would let a client guess the value.
        assert client.get(PATH, params={field: "1"}).status_code == 422, field
        assert client.get(PATH, params={"sort": f"-{field}"}).status_code == 422, field
{%- endif %}
{%- if test.soft_delete %}


def test_lists_show_live_rows_only(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
    assert client.delete(_url(row)).status_code == 204
    assert row not in client.get(PATH, params={"limit": 1000}).json()["data"]
    # Lists hold live rows only, so a filter on the soft-delete columns is unknown.
    for column in ("is_deleted", "deleted_at"):
        response = client.get(PATH, params={column: "true"})
        assert response.status_code == 422, (column, response.text)
{%- endif %}
{%- if let Some(field) = test.soft_delete_unique %}


def test_a_deleted_row_keeps_its_unique_value(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
    other = factories.{{ test.factory }}(client)
    assert client.delete(_url(row)).status_code == 204
    response = client.patch(_url(other), json={ {{- field }}: row[{{ field }}]})
    assert response.status_code == 409, response.text
    assert "a deleted" in response.json()["detail"], response.text
{%- endif %}
{%- if let Some(breaches) = test.constraint_breaches %}


def test_refined_constraints_are_enforced(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
{{ breaches }}
    for field, value in breaches:
        response = client.patch(_url(row), json={field: value})
        assert response.status_code == 422, (field, value, response.text)
    assert client.get(_url(row)).json() == row
{%- endif %}
{%- for delete in test.parent_deletes %}


def {{ delete.test }}(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
    parent = row[{{ delete.column }}]
    response = client.delete(f"{{ delete.parent_path }}/{parent}")
{%- match delete.expect %}
{%- when OnParentDelete::Refused %}
    assert response.status_code == 409, response.text
    assert client.get(_url(row)).status_code == 200
{%- when OnParentDelete::Cascades %}
    assert response.status_code == 204, response.text
    assert client.get(_url(row)).status_code == 404
{%- when OnParentDelete::SetsNull %}
    assert response.status_code == 204, response.text
    assert client.get(_url(row)).json()[{{ delete.column }}] is None
{%- endmatch %}
{%- endfor %}
{%- for link in test.links %}


def {{ link.test }}(client: TestClient) -> None:
    row = factories.{{ test.factory }}(client)
    other = factories.{{ link.target_factory }}(client)
    other_key = "".join(f"/{other[name]}" for name in {{ link.target_key }})
    url = f"{_url(row)}/{{ link.segment }}"
    assert client.put(url + other_key).status_code == 204
    assert client.put(url + other_key).status_code == 204
    assert other in client.get(url).json()
    assert client.delete(url + other_key).status_code == 204
    assert client.get(url).json() == []
{%- endfor %}
