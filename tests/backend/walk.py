"""A black-box HTTP walk of a generated backend, and an optional schemathesis fuzz run.

Run with the python that scripts/python-env prints (it needs httpx, uvicorn and, for
--schemathesis, schemathesis), with DATABASE_URL naming an empty database that the
project's migration has already created:

    DATABASE_URL=... walk.py PROJECT_DIR SCHEMA_JSON [--schemathesis [--max-examples N]
                                                     [--seed N] [--phases P]] [--keep-going]

It serves PROJECT_DIR's app with uvicorn on a loopback socket it binds itself (port 0,
inherited by the server process as a file descriptor, so there is no race for the port)
and talks to it only over HTTP.
What it expects comes from SCHEMA_JSON (the input document, docs/format.md) and from
the app's /openapi.json, never from the generated code:

- every table has `/api/v1/<table>` (GET list, POST) and `/api/v1/<table>/<key>…` (GET,
  PATCH, DELETE), with the Create body the columns describe (names, types, lengths, enums);
- rows are created in build order, two per table (foreign keys point at rows created
  earlier; nullable self-references and cycle-breaking keys are set afterwards), read back
  equal to what was sent, listed with the right `count`, and changed with PATCH;
- an absent key is a 404; a duplicate unique value or a foreign key to a missing row is a
  409 naming the column; an unknown field, a wrong type, a too long string, a string with
  NUL, a number out of range, `limit=0` or a malformed key is a 422, and creates nothing;
- unique strings are exact: values differing only in case or a trailing space are distinct;
- a writable many-to-many attribute links and unlinks with PUT / DELETE
  `/api/v1/<table>/<key>/<attribute>/<other key>` (204) and lists with GET;
- rows are deleted in reverse build order (204, then 404); soft-deleted rows leave the
  list and its count;
- no request ever gets a 5xx.

With --schemathesis it then runs `schemathesis run` against the same server (check
not_a_server_error; phases fuzzing and stateful, 5 deterministic cases per operation
unless told otherwise). The exit status is 0 when everything holds; otherwise 1 with a
report of the first failure (the table, the request, the status and the body) and the
end of the server's log. Usage errors exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import decimal
import itertools
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx

API = "/api/v1"
HEALTH_TIMEOUT_S = 30
SCHEMATHESIS_TIMEOUT_S = 600
# Integer values the walker never creates: absent keys and missing foreign-key targets.
ABSENT_INT_BASE = 2_000_000_000
INT32 = (-(2**31), 2**31 - 1)
# Mixed case, multi-byte and astral characters and an inner space: boundary strings are
# built from it, so lengths are counted in characters and compared exactly.
FILLER = "Aé 日🚀ü-ßZ"
BIG_TEXT_CHARS = 70_000  # over MariaDB's 64 KiB TEXT, in characters of two bytes
MISSING: Any = object()


class Failure(Exception):
    """The backend broke the contract."""


class Skip(Exception):
    """A check that this schema gives no way to make (e.g. no fresh value is left)."""


# --- the input document ------------------------------------------------------------------


@dataclasses.dataclass
class Column:
    name: str
    declared_type: str
    raw: dict[str, Any]
    type: str = ""
    length: int = 255
    precision: int = 18
    scale: int = 2
    values: list[str] = dataclasses.field(default_factory=list)
    primary_key: bool = False
    nullable: bool = True
    unique: bool = False
    has_default: bool = False
    default: Any = None
    target: tuple[str, str] | None = None
    on_delete: str = "NO ACTION"
    autoincrement: bool = False
    declared: bool = True
    write_only: bool = False  # accepted on create and update, never read, filtered or sorted
    limits: Limits | None = None  # what the OpenAPI Create body adds (set by the walk)
    used: set[str] = dataclasses.field(default_factory=set)  # values drawn from a pattern

    @property
    def max_length(self) -> int:
        """The longest string the API accepts (the column's length, or less)."""
        if self.limits and self.limits.max_length is not None:
            return min(self.limits.max_length, self.length)
        return self.length


@dataclasses.dataclass
class Limits:
    """Constraints of a Create field beyond its column's type (e.g. from `--refine`)."""

    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: decimal.Decimal | None = None  # inclusive
    maximum: decimal.Decimal | None = None  # inclusive

    def bounded(self) -> bool:
        return self.minimum is not None or self.maximum is not None

    @staticmethod
    def of(branches: list[dict[str, Any]], kind: str) -> Limits:
        def first(key: str) -> Any:
            return next((branch[key] for branch in branches if branch.get(key) is not None), None)

        limits = Limits(pattern=first("pattern"), min_length=first("minLength"), max_length=first("maxLength"))
        low, high = first("minimum"), first("maximum")
        exclusive_low, exclusive_high = first("exclusiveMinimum"), first("exclusiveMaximum")
        # An integer's 32-bit range is its type, not a constraint.
        if kind == "Integer" and low is not None and high is not None and (low, high) == INT32:
            low = high = None
        step = decimal.Decimal(1) if kind == "Integer" else decimal.Decimal("1e-6")
        if low is not None:
            limits.minimum = decimal.Decimal(str(low))
        if exclusive_low is not None:
            limits.minimum = decimal.Decimal(str(exclusive_low)) + step
        if high is not None:
            limits.maximum = decimal.Decimal(str(high))
        if exclusive_high is not None:
            limits.maximum = decimal.Decimal(str(exclusive_high)) - step
        return limits


@dataclasses.dataclass
class Table:
    name: str
    class_name: str
    columns: list[Column]
    soft_delete: bool
    timestamps: bool
    relationships: list[dict[str, Any]]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name}.{name}")

    @property
    def key(self) -> list[Column]:
        return [column for column in self.columns if column.primary_key]

    @property
    def readable(self) -> list[Column]:
        return [column for column in self.columns if not column.write_only]

    @property
    def writable(self) -> list[Column]:
        return [column for column in self.columns if column.declared and not column.autoincrement]


def load_schema(path: Path) -> dict[str, Table]:
    document = json.loads(path.read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for raw_table in document["schema"]:
        options = raw_table.get("options") or {}
        timestamps = bool(options.get("use_timestamps"))
        soft_delete = bool(options.get("use_soft_delete"))
        mixins: list[Column] = []
        if timestamps:
            mixins += [mixin("created_at", "DateTime", False), mixin("updated_at", "DateTime", False)]
        if soft_delete:
            mixins += [mixin("deleted_at", "DateTime", True), mixin("is_deleted", "Boolean", False, False)]
        shadowed = {column.name for column in mixins}
        columns = [declared_column(raw) for raw in raw_table["columns"] if raw["name"] not in shadowed]
        key = [column for column in columns if column.primary_key]
        if len(key) == 1 and key[0].declared_type == "Integer" and key[0].raw.get("autoincrement") is not False:
            key[0].autoincrement = True
        tables[raw_table["table_name"]] = Table(
            name=raw_table["table_name"],
            class_name=raw_table["class_name"],
            columns=columns + mixins,
            soft_delete=soft_delete,
            timestamps=timestamps,
            relationships=list(raw_table.get("relationships") or []),
        )
    for table in tables.values():
        for column in table.columns:
            resolve_type(tables, column, set())
    return tables


def mixin(name: str, type_name: str, nullable: bool, default: Any = MISSING) -> Column:
    column = Column(name=name, declared_type=type_name, raw={}, type=type_name, nullable=nullable, declared=False)
    if default is not MISSING:
        column.has_default, column.default = True, default
    return column


def declared_column(raw: dict[str, Any]) -> Column:
    primary_key = bool(raw.get("primary_key"))
    nullable = raw.get("nullable")
    column = Column(
        name=raw["name"],
        declared_type=raw["type"],
        raw=raw,
        primary_key=primary_key,
        nullable=(not primary_key) if nullable is None else bool(nullable),
        unique=bool(raw.get("unique")),
        write_only=bool(raw.get("write_only")),
        on_delete=raw.get("on_delete") or "NO ACTION",
    )
    if "default" in raw and raw["default"] is not None:
        column.has_default, column.default = True, raw["default"]
    if raw["type"] == "ForeignKey":
        table, _, target = raw["target"].partition(".")
        column.target = (table, target)
    return column


def resolve_type(tables: dict[str, Table], column: Column, seen: set[tuple[str, str]]) -> None:
    """The resolved type of a column (FORMAT §5): a foreign key has its target's."""
    if column.type:
        return
    if column.target is None:
        raw = column.raw
        column.type = column.declared_type
        if column.type == "String":
            column.length = raw.get("length") or 255
        elif column.type == "Numeric":
            precision, scale = raw.get("precision"), raw.get("scale")
            column.precision = 18 if precision is None else precision
            column.scale = (2 if precision is None else 0) if scale is None else scale
        elif column.type == "Enum":
            column.values = list(raw["values"])
        return
    if column.target in seen:
        raise SystemExit(f"walk.py: foreign-key chain loops at {column.target}")
    seen.add(column.target)
    target = tables[column.target[0]].column(column.target[1])
    resolve_type(tables, target, seen)
    column.type, column.length = target.type, target.length
    column.precision, column.scale, column.values = target.precision, target.scale, target.values


def build_order(tables: dict[str, Table]) -> list[str]:
    """Parents first; among ready tables the smallest name; a cycle is entered through the
    table whose NOT NULL foreign keys are all satisfied (its nullable ones are set later)."""
    every: dict[str, set[str]] = {}
    hard: dict[str, set[str]] = {}
    for table in tables.values():
        keys = [column for column in table.columns if column.target and column.target[0] != table.name]
        every[table.name] = {column.target[0] for column in keys if column.target}
        hard[table.name] = {column.target[0] for column in keys if column.target and not column.nullable}
    remaining = set(tables)
    order: list[str] = []
    while remaining:
        ready = sorted(name for name in remaining if not every[name] & remaining)
        if not ready:
            ready = sorted(name for name in remaining if not hard[name] & remaining)
        if not ready:
            raise SystemExit(f"walk.py: NOT NULL foreign keys form a cycle among {sorted(remaining)}")
        order.append(ready[0])
        remaining.remove(ready[0])
    return order


@dataclasses.dataclass
class ManyToMany:
    """An attribute `owner.attr` listing `target` rows through the association `secondary`."""

    owner: str
    attr: str
    target: str
    secondary: str
    owner_fk: Column
    target_fk: Column
    writable: bool


def many_to_many(tables: dict[str, Table]) -> list[ManyToMany]:
    """Every many-to-many attribute (FORMAT §4.2, §4.4, §4.5)."""

    def secondary_of(owner: str, relationship: dict[str, Any]) -> str:
        target = relationship["target_table"]
        if relationship.get("secondary"):
            return str(relationship["secondary"])
        candidates = [
            table.name
            for table in tables.values()
            if table.name not in (owner, target)
            and len([c for c in table.columns if c.target and c.target[0] == owner]) == 1
            and len([c for c in table.columns if c.target and c.target[0] == target]) == 1
        ]
        if len(candidates) != 1:
            raise SystemExit(f"walk.py: cannot infer the association table of {owner} -> {target}")
        return candidates[0]

    found: dict[tuple[str, str], tuple[str, str]] = {}
    for table in tables.values():
        for relationship in table.relationships:
            if relationship["type"] != "many_to_many":
                continue
            target = relationship["target_table"]
            secondary = secondary_of(table.name, relationship)
            # The target gets the attribute named by this entry's back_populates.
            found[(target, relationship["back_populates"])] = (table.name, secondary)
            partnered = any(
                other["type"] == "many_to_many"
                and other["target_table"] == table.name
                and secondary_of(target, other) == secondary
                for other in tables[target].relationships
            )
            if not partnered:
                found[(table.name, target)] = (target, secondary)
    result = []
    for (owner, attr), (target, secondary) in sorted(found.items()):
        association = tables[secondary]
        owner_fk = next(c for c in association.columns if c.target and c.target[0] == owner)
        target_fk = next(c for c in association.columns if c.target and c.target[0] == target)
        needs_value = [
            c
            for c in association.columns
            if c.declared
            and c not in (owner_fk, target_fk)
            and not c.nullable
            and not c.has_default
            and not c.autoincrement
        ]
        result.append(ManyToMany(owner, attr, target, secondary, owner_fk, target_fk, not needs_value))
    return result


# --- values ------------------------------------------------------------------------------


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, digit = divmod(n, 36)
        out = digits[digit] + out
        if n == 0:
            return out


class Values:
    """Distinct valid values per column: the i-th value of a column is never reused."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], Iterator[int]] = {}

    def index(self, table: Table, column: Column) -> int:
        counter = self.counters.setdefault((table.name, column.name), itertools.count(1))
        return next(counter)

    def fresh(self, table: Table, column: Column, boundary: bool = False) -> Any:
        """A value of `column` not produced before (Skip when the type has no more)."""
        i = self.index(table, column)
        capacity = self.capacity(column)
        if capacity is not None and i > capacity:
            raise Skip(f"no fresh value left for {table.name}.{column.name}")
        return value_of(column, i, boundary)

    @staticmethod
    def capacity(column: Column) -> int | None:
        if column.type == "Boolean":
            return 2
        if column.type == "Enum":
            return len(column.values)
        if column.type == "String":
            return 36**column.max_length - 1 if column.max_length < 6 else None
        return None


def value_of(column: Column, i: int, boundary: bool) -> Any:
    kind = column.type
    limits = column.limits
    if limits is not None and kind in ("String", "Text") and (limits.pattern or limits.min_length):
        return limited_string(column, i, boundary)
    if limits is not None and kind in ("Integer", "Float", "Numeric") and limits.bounded():
        return bounded_number(column, limits, i)
    if kind == "Integer":
        return INT32[0] + i if boundary and not column.primary_key else i
    if kind == "String":
        return string_value(i, column.max_length, boundary)
    if kind == "Text":
        if boundary:
            return ("Ünïcödé text, two bytes a letter. " * (BIG_TEXT_CHARS // 30))[:BIG_TEXT_CHARS] + base36(i)
        return f"line {i}\nquotes \"double\" 'single', a backslash \\ and a\ttab: é 日本 🚀"
    if kind == "Boolean":
        if column.unique or column.primary_key:
            return i % 2 == 1
        return not column.default if column.has_default and boundary else i % 2 == 1
    if kind == "Enum":
        return column.values[-1] if boundary and not column.unique else column.values[(i - 1) % len(column.values)]
    if kind == "Date":
        if boundary:
            return (datetime.date(9999, 12, 31) - datetime.timedelta(days=i)).isoformat()
        return (datetime.date(2001, 1, 1) + datetime.timedelta(days=i)).isoformat()
    if kind == "Time":
        seconds = (86399 - i) if boundary else (36000 + i)
        micro = ".999999" if boundary else ""
        return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{micro}"
    if kind == "DateTime":
        instant = datetime.datetime(2024, 2, 29, 12, 34, 56, 123456) + datetime.timedelta(minutes=i)
        if boundary:
            offset = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
            return instant.replace(tzinfo=offset).isoformat()
        return instant.isoformat()  # no offset: read as UTC
    if kind == "Numeric":
        return numeric_value(i, column.precision, column.scale, boundary)
    if kind == "Float":
        return -1.2345678901234567e300 * (1 + i / 1000) if boundary else i + 0.25
    raise SystemExit(f"walk.py: unknown column type {kind}")


def limited_string(column: Column, i: int, boundary: bool) -> str:
    """A distinct string within the API's pattern and length limits."""
    assert column.limits is not None
    low, high = column.limits.min_length or 0, column.max_length if column.type == "String" else 10_000
    if column.limits.pattern is None:
        text = string_value(i, high, boundary)
        return "x" * (low - len(text)) + text
    pattern = column.limits.pattern
    from hypothesis import HealthCheck, find, settings, strategies
    from hypothesis.errors import HypothesisException

    def fits(text: str) -> bool:
        return low <= len(text) <= high and text not in column.used and text.isprintable() and text == text.strip()

    try:
        text = find(
            strategies.from_regex(pattern, fullmatch=True),
            fits,
            settings=settings(
                derandomize=True, database=None, max_examples=5000, suppress_health_check=list(HealthCheck)
            ),
        )
    except (HypothesisException, re.error) as error:
        raise Skip(f"no new value of {column.name} matches {pattern!r} ({error!r})") from None
    column.used.add(text)
    return text


def bounded_number(column: Column, limits: Limits, i: int) -> Any:
    """The i-th distinct number within the API's bounds, counted from the lower one."""
    step = decimal.Decimal(1) if column.type == "Integer" else decimal.Decimal(1).scaleb(-min(column.scale, 2))
    if column.type == "Float":
        step = decimal.Decimal("0.25")
    low = limits.minimum if limits.minimum is not None else None
    high = limits.maximum if limits.maximum is not None else None
    if column.type == "Integer":
        low = max(low, decimal.Decimal(INT32[0])) if low is not None else None
        high = min(high, decimal.Decimal(INT32[1])) if high is not None else None
    if low is not None:
        low = (low / step).to_integral_value(rounding=decimal.ROUND_CEILING) * step
        value = low + (i - 1) * step
    else:
        assert high is not None
        high = (high / step).to_integral_value(rounding=decimal.ROUND_FLOOR) * step
        value = high - (i - 1) * step
    if (low is not None and value < low) or (high is not None and value > high):
        raise Skip(f"no new value of {column.name} within its bounds")
    if column.type == "Integer":
        return int(value)
    if column.type == "Float":
        return float(value)
    return f"{value:.{column.scale}f}"


def string_value(i: int, length: int, boundary: bool) -> str:
    core = "W" + base36(i)
    if len(core) > length:
        return base36(i)[-length:]
    if boundary:
        fill = (FILLER * (length // len(FILLER) + 1))[: length - len(core)]
        return fill + core
    return core


def numeric_value(i: int, precision: int, scale: int, boundary: bool) -> str:
    """Exactly `precision` digits when `boundary` (negative), else a small value."""
    if boundary:
        digits = (str(i) + "987654321" * 8)[:precision]
        sign = "-"
    else:
        digits = str(i).rjust(precision, "0")[-precision:]
        sign = ""
    whole, fraction = digits[: precision - scale], digits[precision - scale :]
    whole = whole.lstrip("0") or "0"
    return f"{sign}{whole}.{fraction}" if scale else f"{sign}{whole}"


def absent_value(values: Values, tables: dict[str, Table], column: Column) -> Any:
    """A value of `column`'s type that no row holds (for keys and foreign keys)."""
    if column.target is not None:
        target_table = tables[column.target[0]]
        return absent_value(values, tables, target_table.column(column.target[1]))
    if column.type == "Integer":
        return ABSENT_INT_BASE + values.index(tables_of(tables, column), column)
    return values.fresh(tables_of(tables, column), column)


def tables_of(tables: dict[str, Table], column: Column) -> Table:
    for table in tables.values():
        if any(candidate is column for candidate in table.columns):
            return table
    raise KeyError(column.name)


def wrong_values(column: Column) -> list[Any]:
    """Values of the wrong type or out of the column's range."""
    kind = column.type
    wrong: list[Any] = [[1, 2], {"a": 1}]
    if kind in ("String", "Text", "Enum"):
        wrong += [12345, True, "bad\u0000nul"]
    if kind == "String":
        wrong.append("x" * (column.max_length + 1))
    if kind == "Enum":
        wrong.append(next(f"not-{n}" for n in itertools.count() if f"not-{n}" not in column.values))
    if kind == "Integer":
        wrong += ["abc", 1.5, INT32[1] + 1, INT32[0] - 1]
    if kind == "Boolean":
        wrong += ["maybe", 2]
    if kind in ("Date", "DateTime", "Time"):
        wrong += ["not a date", "2024-02-30", "25:61:00"]
    if kind == "Time":
        wrong.append("12:00:00+05:00")  # a time of day has no offset
    if kind == "DateTime":
        wrong += ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"]  # beyond years 1-9999 in UTC
    if kind == "Numeric":
        wrong += ["abc", "NaN", "Infinity", "1" * (column.precision - column.scale + 1)]
        if column.scale < 30:
            wrong.append("0." + "1" * (column.scale + 1))
    if kind == "Float":
        wrong += ["abc"]
    return wrong


# JSON strings that no supported database can store: lone surrogates, as escapes and as
# raw bytes that are not UTF-8, and the NUL character. Every string field answers 422.
UNSTORABLE = (b'"\\ud800"', b'"x\\udfffy"', b'"\xed\xa0\x80"', b'"a\\u0000b"')


def with_raw(body: dict[str, Any], name: str, encoded: bytes) -> bytes:
    """`body` as JSON with field `name` set to the raw JSON string `encoded`."""
    marker = "__walk_raw_value__"
    return json.dumps({**body, name: marker}).encode().replace(json.dumps(marker).encode(), encoded)


def same(column: Column, sent: Any, got: Any) -> bool:
    """Whether the API returned the value that was sent, as the column's type sees it."""
    if sent is None or got is None:
        return sent is None and got is None
    kind = column.type
    try:
        if kind == "Numeric":
            return decimal.Decimal(str(got)) == decimal.Decimal(str(sent))
        if kind == "Float":
            return (
                isinstance(got, (int, float)) and not isinstance(got, bool) and math.isclose(got, sent, rel_tol=1e-12)
            )
        if kind == "Date":
            return isinstance(got, str) and datetime.date.fromisoformat(got) == datetime.date.fromisoformat(sent)
        if kind == "Time":
            parsed = datetime.time.fromisoformat(got).replace(tzinfo=None)
            return isinstance(got, str) and parsed == datetime.time.fromisoformat(sent)
        if kind == "DateTime":
            return isinstance(got, str) and instant(got) == instant(sent)
    except (ValueError, TypeError, decimal.InvalidOperation):
        return False
    return type(got) is type(sent) and got == sent


def instant(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def aware(text: Any) -> bool:
    try:
        return isinstance(text, str) and datetime.datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


# --- HTTP --------------------------------------------------------------------------------


def short(value: Any, limit: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


class Client:
    """httpx with the last exchange kept for the report; any 5xx is a failure."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.context = ""
        self.requests = 0
        self.last: tuple[str, str, Any, httpx.Response] | None = None

    def request(
        self, method: str, url: str, *, body: Any = MISSING, content: bytes | None = None, params: Any = None
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"params": params}
        if body is not MISSING:
            kwargs["json"] = body
        if content is not None:
            kwargs["content"] = content
            kwargs["headers"] = {"content-type": "application/json"}
        try:
            try:
                response = self.http.request(method, url, **kwargs)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # After a 500 uvicorn closes the connection, which httpx may try to reuse.
                if self.last_response is None or self.last_response.status_code < 500:
                    raise
                response = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            where = f"{self.context}: " if self.context else ""
            raise Failure(f"{where}no response to {method} {url}: {error!r} (did the server die?)") from None
        self.requests += 1
        shown_body = (
            content.decode("utf-8", "replace") if content is not None else (body if body is not MISSING else None)
        )
        self.last = (method, str(response.request.url), shown_body, response)
        if response.status_code >= 500:
            self.fail("a server error (any 5xx is a bug)", response)
        return response

    @property
    def last_response(self) -> httpx.Response | None:
        return None if self.last is None else self.last[3]

    def fail(self, what: str, response: httpx.Response | None = None, expected: str | None = None) -> Any:
        lines = [f"{self.context}: {what}" if self.context else what]
        if response is not None and self.last is not None:
            method, url, body, _ = self.last
            lines.append(f"  request:  {method} {url}")
            if body is not None:
                lines.append(f"  body:     {short(body)}")
            lines.append(f"  status:   {response.status_code}" + (f" (expected {expected})" if expected else ""))
            lines.append(f"  response: {short(response.text)}")
        raise Failure("\n".join(lines))

    def expect(self, response: httpx.Response, *statuses: int, what: str) -> httpx.Response:
        if response.status_code not in statuses:
            self.fail(what, response, " or ".join(map(str, statuses)))
        return response

    def json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            return self.fail(f"{what}: the response is not JSON", response)


@dataclasses.dataclass(eq=False)
class Row:
    table: Table
    sent: dict[str, Any]
    state: dict[str, Any]
    live: bool = True
    present: bool = True
    hidden: dict[str, Any] = dataclasses.field(default_factory=dict)  # write-only values last sent

    def key(self) -> list[Any]:
        return [self.state[column.name] for column in self.table.key]

    def value(self, name: str) -> Any:
        """The column's value: as read back, or as last written for a write-only column."""
        return self.state[name] if name in self.state else self.hidden.get(name)

    def wrote(self, changes: dict[str, Any]) -> None:
        for column in self.table.columns:
            if column.write_only and column.name in changes:
                self.hidden[column.name] = changes[column.name]


def key_path(table: Table, key: list[Any]) -> str:
    parts = []
    for value in key:
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(urllib.parse.quote(text, safe=""))
    return f"{API}/{table.name}/" + "/".join(parts)


# --- the walk ----------------------------------------------------------------------------


class Walk:
    def __init__(self, client: Client, tables: dict[str, Table], openapi: dict[str, Any]) -> None:
        self.client = client
        self.tables = tables
        self.openapi = openapi
        self.order = build_order(tables)
        self.values = Values()
        self.rows: dict[str, list[Row]] = {name: [] for name in tables}
        self.created: set[str] = set()
        self.baseline: dict[str, int] = {}
        self.links = many_to_many(tables)
        self.checks = 0
        self.keep_going = False
        self.failures: list[str] = []

    # -- helpers

    @contextlib.contextmanager
    def step(self, context: str) -> Iterator[None]:
        previous = self.client.context
        self.client.context = context
        try:
            yield
        except Failure as failure:
            if not self.keep_going:
                raise
            self.failures.append(str(failure))
            print(f"walk.py: FAILED (going on)\n{failure}", file=sys.stderr)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as error:
            if not self.keep_going:
                raise
            self.failures.append(f"{context}: {error!r}")
            print(f"walk.py: {context}: gave up after an earlier failure ({error!r})", file=sys.stderr)
        finally:
            self.client.context = previous

    def check(self, condition: bool, what: str, response: httpx.Response | None = None) -> None:
        self.checks += 1
        if not condition:
            self.client.fail(what, response)

    def count(self, table: Table) -> int:
        response = self.client.request("GET", f"{API}/{table.name}", params={"limit": 1})
        self.client.expect(response, 200, what=f"listing {table.name}")
        page = self.client.json(response, "a list")
        self.check(
            isinstance(page, dict) and isinstance(page.get("count"), int), "a list answers {data, count}", response
        )
        self.check(
            isinstance(page.get("data"), list) and len(page["data"]) == min(1, page["count"]),
            "?limit=1 gives at most one row",
            response,
        )
        return int(page["count"])

    def live_rows(self, table: Table) -> list[Row]:
        return [row for row in self.rows[table.name] if row.live]

    def expect_count(self, table: Table, why: str) -> None:
        expected = self.baseline[table.name] + len(self.live_rows(table))
        got = self.count(table)
        self.check(
            got == expected, f"`count` of {table.name} is {got}, expected {expected} ({why})", self.client.last_response
        )

    def schema_of(self, reference: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in reference:
            name = reference["$ref"].rsplit("/", 1)[-1]
            reference = self.openapi["components"]["schemas"][name]
        return reference

    def operation(self, path: str, method: str) -> dict[str, Any] | None:
        item = self.openapi.get("paths", {}).get(path)
        return None if item is None else item.get(method)

    def find_path(self, segments: list[str | int]) -> str | None:
        """The OpenAPI path made of `segments`: strings are literal, an int n is n parameters."""
        for path in self.openapi.get("paths", {}):
            parts = path.strip("/").split("/")
            position = 0
            ok = True
            for segment in segments:
                if isinstance(segment, str):
                    ok = position < len(parts) and parts[position] == segment
                    position += 1
                else:
                    window = parts[position : position + segment]
                    ok = len(window) == segment and all(p.startswith("{") and p.endswith("}") for p in window)
                    position += segment
                if not ok:
                    break
            if ok and position == len(parts):
                return str(path)
        return None

    # -- OpenAPI against the input document

    def create_schema(self, table: Table) -> dict[str, Any]:
        operation = self.operation(f"{API}/{table.name}", "post")
        if operation is None:
            self.client.fail(f"OpenAPI has no POST {API}/{table.name}")
        assert operation is not None
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body is None:
            self.client.fail(f"POST {API}/{table.name} declares no JSON body")
        return self.schema_of(body)

    def check_openapi(self) -> None:
        for name in self.order:
            table = self.tables[name]
            with self.step(f"OpenAPI of {name}"):
                for method in ("get", "post"):
                    self.check(
                        self.operation(f"{API}/{name}", method) is not None,
                        f"OpenAPI has no {method.upper()} {API}/{name}",
                    )
                item = self.find_path(["api", "v1", name, len(table.key)])
                self.check(item is not None, f"OpenAPI has no {API}/{name}/" + "/".join("{…}" for _ in table.key))
                for method in ("get", "patch", "delete"):
                    self.check(self.operation(str(item), method) is not None, f"OpenAPI has no {method.upper()} {item}")
                schema = self.create_schema(table)
                properties = schema.get("properties", {})
                required = set(schema.get("required", []))
                names = {column.name for column in table.columns}
                for prop in properties:
                    self.check(prop in names, f"the Create body has {prop!r}, which is not a column")
                for prop in required:
                    self.check(prop in properties, f"the Create body requires {prop!r} without describing it")
                for column in table.writable:
                    self.check(column.name in properties, f"the Create body has no field for column {column.name!r}")
                    self.check_property(table, column, properties[column.name], column.name in required)

    def check_property(self, table: Table, column: Column, prop: dict[str, Any], required: bool) -> None:
        """The OpenAPI shape of a Create field agrees with the column."""
        where = f"{table.name}.{column.name}"
        should_require = not column.nullable and not column.has_default
        self.check(
            required == should_require, f"{where}: OpenAPI says required={required}, the column says {should_require}"
        )
        branches = [self.schema_of(branch) for branch in prop.get("anyOf", [prop])]
        types = {branch.get("type") for branch in branches}
        if column.nullable:
            self.check("null" in types, f"{where} is nullable but OpenAPI does not allow null")
        branches = [branch for branch in branches if branch.get("type") != "null"]
        kind = column.type
        expected_types = {
            "Integer": {"integer"},
            "String": {"string"},
            "Text": {"string"},
            "Boolean": {"boolean"},
            "Date": {"string"},
            "Time": {"string"},
            "DateTime": {"string"},
            "Enum": {"string"},
            "Numeric": {"number", "string"},
            "Float": {"number"},
        }[kind]
        got_types = {branch.get("type") for branch in branches}
        self.check(
            got_types <= expected_types and bool(got_types),
            f"{where} ({kind}): OpenAPI types {sorted(map(str, got_types))}",
        )
        first = branches[0] if branches else {}
        column.limits = Limits.of(branches, kind)
        if kind == "String":
            max_length = first.get("maxLength")
            self.check(
                isinstance(max_length, int) and max_length <= column.length,
                f"{where}: OpenAPI maxLength {max_length}, column length {column.length}",
            )
        if kind == "Enum":
            members = first.get("enum", [first["const"]] if "const" in first else None)
            self.check(members == column.values, f"{where}: OpenAPI enum {members}, column values {column.values}")
        if kind in ("Date", "Time", "DateTime"):
            wanted = {"Date": "date", "Time": "time", "DateTime": "date-time"}[kind]
            self.check(
                first.get("format") == wanted, f"{where}: OpenAPI format {first.get('format')!r}, expected {wanted!r}"
            )
        if kind == "Integer":
            low, high = first.get("minimum"), first.get("maximum")
            self.check(
                low is not None and high is not None and low >= INT32[0] and high <= INT32[1],
                f"{where}: OpenAPI bounds {low}..{high}, expected within 32 bits",
            )

    # -- creation

    def body_for(self, table: Table, index: int) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for column in table.writable:
            if column.target is not None:
                body[column.name] = self.parent_value(table, column, index)
            else:
                body[column.name] = self.values.fresh(table, column, boundary=index == 1)
        return body

    def parent_value(self, table: Table, column: Column, index: int) -> Any:
        assert column.target is not None
        target_table, target_column = column.target
        if target_table == table.name:
            rows = self.rows[table.name]
            if rows:
                return rows[-1].state[target_column]
        elif target_table in self.created and self.rows[target_table]:
            rows = self.rows[target_table]
            return rows[min(index, len(rows) - 1)].state[target_column]
        if not column.nullable:
            self.client.fail(f"walker: NOT NULL {table.name}.{column.name} has no parent row yet")
        return None

    def create(self, table: Table, body: dict[str, Any]) -> Row:
        response = self.client.request("POST", f"{API}/{table.name}", body=body)
        self.client.expect(response, 201, what=f"creating a {table.name} row")
        state = self.client.json(response, "a created row")
        self.check_row(table, body, state, response, "the created row")
        row = Row(table, body, state)
        row.wrote(body)
        read = self.client.request("GET", key_path(table, row.key()))
        self.client.expect(read, 200, what="reading a created row back")
        self.check(self.client.json(read, "a row") == state, "GET returns the row exactly as POST did", read)
        return row

    def check_row(self, table: Table, sent: dict[str, Any], state: Any, response: httpx.Response, what: str) -> None:
        self.check(isinstance(state, dict), f"{what} is not a JSON object", response)
        names = {column.name for column in table.readable}
        self.check(
            set(state) == names,
            f"{what} has fields {sorted(state)}, expected the readable columns {sorted(names)}",
            response,
        )
        for name, value in sent.items():
            column = table.column(name)
            if column.write_only:
                continue
            self.check(
                same(column, value, state[name]),
                f"{what}: {name} is {short(state[name], 120)}, sent {short(value, 120)}",
                response,
            )
        for column in table.readable:
            value = state[column.name]
            if column.type == "DateTime" and value is not None:
                self.check(aware(value), f"{what}: {column.name} = {value!r} has no UTC offset", response)
            if not column.nullable:
                self.check(value is not None, f"{what}: NOT NULL {column.name} is null", response)
        if table.soft_delete:
            self.check(
                state["is_deleted"] is False and state["deleted_at"] is None,
                f"{what}: a live row must have is_deleted false",
                response,
            )

    def create_rows(self, table: Table) -> None:
        with self.step(f"{table.name}: creating rows"):
            self.baseline[table.name] = self.count(table)
            self.check(
                self.baseline[table.name] == 0, f"{table.name} is not empty: the walk needs a freshly migrated database"
            )
            for index in range(2):
                try:
                    body = self.body_for(table, index)
                except Skip as skip:
                    if index == 0:
                        self.client.fail(f"no row of {table.name} can be made: {skip}")
                    break  # a key of Boolean or one-value Enum type has room for one row
                self.rows[table.name].append(self.create(table, body))
            self.created.add(table.name)
            self.expect_count(table, "after creating rows")
            listed = self.client.json(
                self.client.expect(self.client.request("GET", f"{API}/{table.name}"), 200, what="listing"), "a list"
            )
            keys = [[row_state.get(column.name) for column in table.key] for row_state in listed["data"]]
            for row in self.rows[table.name]:
                self.check(
                    row.key() in keys, f"the list does not contain the row {row.key()}", self.client.last_response
                )
            if len(table.key) == 1 and table.key[0].name not in ("limit", "offset", "sort"):
                column = table.key[0]
                row = self.rows[table.name][0]
                response = self.client.request(
                    "GET", f"{API}/{table.name}", params={column.name: self.filter_text(row.state[column.name])}
                )
                page = self.client.json(self.client.expect(response, 200, what="filtering by the key"), "a list")
                self.check(
                    page.get("count") == 1,
                    f"?{column.name}=<a row's key> matches {page.get('count')} rows, expected 1",
                    response,
                )

    @staticmethod
    def filter_text(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    # -- checks on one table

    def table_checks(self, table: Table) -> None:
        with self.step(f"{table.name}: absent and malformed keys"):
            self.absent_keys(table)
        with self.step(f"{table.name}: invalid requests"):
            self.invalid_requests(table)
        with self.step(f"{table.name}: conflicts"):
            self.conflicts(table)
        with self.step(f"{table.name}: updates"):
            self.updates(table)
        with self.step(f"{table.name}: exact unique strings"):
            self.exact_strings(table)
        with self.step(f"{table.name}: write-only columns"):
            self.write_only(table)
        self.expect_count(table, "after the checks, which must not create rows")

    def absent_key(self, table: Table) -> list[Any]:
        key = []
        for column in table.key:
            if column.autoincrement:
                key.append(ABSENT_INT_BASE + self.values.index(table, column))
            else:
                key.append(absent_value(self.values, self.tables, column))
        return key

    def absent_keys(self, table: Table) -> None:
        try:
            key = self.absent_key(table)
        except Skip:
            return
        url = key_path(table, key)
        self.client.expect(self.client.request("GET", url), 404, what="reading an absent key")
        self.client.expect(self.client.request("PATCH", url, body={}), 404, what="updating an absent key")
        self.client.expect(self.client.request("DELETE", url), 404, what="deleting an absent key")
        row = self.rows[table.name][0]
        for position, column in enumerate(table.key):
            bad: list[str] = []
            if column.type == "Integer":
                bad = ["not-an-integer", str(INT32[1] + 1), "1.5"]
            elif column.type == "String":
                bad = ["x" * (column.length + 1)]
            elif column.type in ("Date", "DateTime", "Time"):
                bad = ["not-a-date"]
            for text in bad:
                parts = [urllib.parse.quote(self.filter_text(value), safe="") for value in row.key()]
                parts[position] = urllib.parse.quote(text, safe="")
                response = self.client.request("GET", f"{API}/{table.name}/" + "/".join(parts))
                self.client.expect(response, 422, what=f"a malformed key {column.name}={text[:40]!r}")
            if column.type == "String":
                swapped = str(row.key()[position]).swapcase()
                others = {str(other.key()[position]) for other in self.rows[table.name]}
                if swapped not in others:
                    key = list(row.key())
                    key[position] = swapped
                    response = self.client.request("GET", key_path(table, key))
                    self.client.expect(response, 404, what="a key differing only in case is another key")

    def invalid_requests(self, table: Table) -> None:
        path = f"{API}/{table.name}"
        base = dict(self.rows[table.name][0].sent)
        schema = self.create_schema(table)
        response = self.client.request("POST", path, body={**base, "__walk_unknown__": 1})
        self.client.expect(response, 422, what="an unknown field")
        self.client.expect(self.client.request("POST", path, content=b'{"broken": '), 422, what="malformed JSON")
        self.client.expect(self.client.request("POST", path, body=[base]), 422, what="a list instead of an object")
        for name in schema.get("required", []):
            body = {key: value for key, value in base.items() if key != name}
            self.client.expect(
                self.client.request("POST", path, body=body), 422, what=f"a missing required field {name}"
            )
        for column in table.writable:
            for wrong in wrong_values(column):
                response = self.client.request("POST", path, body={**base, column.name: wrong})
                self.client.expect(response, 422, what=f"{column.name} = {short(wrong, 60)} ({column.type})")
            if not column.nullable:
                response = self.client.request("POST", path, body={**base, column.name: None})
                self.client.expect(response, 422, what=f"null for NOT NULL {column.name}")
            if column.type in ("String", "Text"):
                for encoded in UNSTORABLE:
                    response = self.client.request("POST", path, content=with_raw(base, column.name, encoded))
                    self.client.expect(response, 422, what=f"unstorable text {encoded!r} for {column.name}")
                    self.check(encoded not in response.content, f"the 422 for {column.name} echoes the input", response)
            if column.type == "Float":
                others = {name: value for name, value in base.items() if name != column.name}
                text = json.dumps(others)[:-1] + (", " if others else "") + json.dumps(column.name) + ": NaN}"
                response = self.client.request("POST", path, content=text.encode())
                self.client.expect(response, 422, what=f"NaN for {column.name}")
        row = self.rows[table.name][0]
        url = key_path(table, row.key())
        self.client.expect(
            self.client.request("PATCH", url, body={"__walk_unknown__": 1}), 422, what="an unknown field in PATCH"
        )
        for column in table.writable:
            if column.primary_key:
                continue
            for wrong in wrong_values(column)[:3]:
                response = self.client.request("PATCH", url, body={column.name: wrong})
                self.client.expect(response, 422, what=f"PATCH {column.name} = {short(wrong, 60)}")
            if column.type in ("String", "Text"):
                for encoded in UNSTORABLE:
                    response = self.client.request("PATCH", url, content=with_raw({}, column.name, encoded))
                    self.client.expect(response, 422, what=f"PATCH unstorable text {encoded!r} into {column.name}")
                if column.name not in ("limit", "offset", "sort"):
                    response = self.client.request("GET", path, params={column.name: "a\u0000b"})
                    self.client.expect(response, 422, what=f"filtering {column.name} by text with NUL")
            if not column.nullable:
                response = self.client.request("PATCH", url, body={column.name: None})
                self.client.expect(response, 422, what=f"PATCH null into NOT NULL {column.name}")
        for params in ({"limit": 0}, {"limit": "abc"}, {"limit": -1}, {"offset": -1}):
            self.client.expect(self.client.request("GET", path, params=params), 422, what=f"listing with {params}")
        after = self.client.request("GET", url)
        self.check(self.client.json(after, "a row") == row.state, "rejected requests changed the row", after)

    def conflicts(self, table: Table) -> None:
        path = f"{API}/{table.name}"
        first, second = self.rows[table.name][0], self.rows[table.name][-1]
        client_keyed = any(not column.autoincrement for column in table.key)
        uniques = [
            column
            for column in table.writable
            if (column.unique or (column.primary_key and len(table.key) == 1))
            and first.sent.get(column.name) is not None
        ]
        if client_keyed or uniques:
            response = self.client.request("POST", path, body=first.sent)
            self.client.expect(response, 409, what="creating a duplicate of a row")
            names = [column.name for column in table.key] + [column.name for column in uniques]
            self.conflict_names(response, names, "a duplicate")
        for column in table.writable:
            if column.primary_key or not column.unique or first.value(column.name) is None or first is second:
                continue
            url = key_path(table, second.key())
            response = self.client.request("PATCH", url, body={column.name: first.value(column.name)})
            self.client.expect(response, 409, what=f"PATCH a duplicate unique {column.name}")
            self.conflict_names(response, [column.name], "a duplicate")
            self.unchanged(second)
        for column in table.writable:
            if column.target is None:
                continue
            try:
                missing = absent_value(self.values, self.tables, column)
                body = self.freshened(table, first.sent)
            except Skip:
                continue
            body[column.name] = missing
            response = self.client.request("POST", path, body=body)
            self.client.expect(response, 409, what=f"creating a row whose {column.name} references no row")
            if not (client_keyed or uniques):
                self.conflict_names(response, [column.name], "a missing reference")
            if not column.primary_key:
                url = key_path(table, first.key())
                response = self.client.request("PATCH", url, body={column.name: missing})
                self.client.expect(response, 409, what=f"PATCH {column.name} to reference no row")
                self.conflict_names(response, [column.name], "a missing reference")
                self.unchanged(first)

    def freshened(self, table: Table, sent: dict[str, Any]) -> dict[str, Any]:
        """`sent` with new values for unique and key columns that are not foreign keys."""
        body = dict(sent)
        for column in table.writable:
            if column.target is None and (column.unique or column.primary_key):
                body[column.name] = self.values.fresh(table, column)
        return body

    def conflict_names(self, response: httpx.Response, names: list[str], what: str) -> None:
        names = list(dict.fromkeys(names))
        detail = self.client.json(response, "a 409").get("detail")
        self.check(isinstance(detail, str) and detail != "", "a 409 has a `detail` sentence", response)
        self.check(any(name in detail for name in names), f"the 409 for {what} names none of {names}", response)

    def unchanged(self, row: Row) -> None:
        response = self.client.request("GET", key_path(row.table, row.key()))
        self.client.expect(response, 200, what="reading a row after a rejected change")
        self.check(self.client.json(response, "a row") == row.state, "a rejected change altered the row", response)

    def referenced(self, table: Table, column: Column) -> bool:
        return any(
            other.target == (table.name, column.name)
            for candidate in self.tables.values()
            for other in candidate.columns
        )

    def patch(self, row: Row, changes: dict[str, Any], what: str) -> None:
        url = key_path(row.table, row.key())
        response = self.client.request("PATCH", url, body=changes)
        self.client.expect(response, 200, what=what)
        state = self.client.json(response, "an updated row")
        self.check_row(row.table, changes, state, response, "the updated row")
        for name, value in row.state.items():
            if name not in changes and name not in ("updated_at",):
                self.check(state[name] == value, f"PATCH of {sorted(changes)} changed {name}", response)
        if "updated_at" in state:
            self.check(
                instant(state["updated_at"]) >= instant(row.state["updated_at"]), "updated_at went back", response
            )
        read = self.client.request("GET", url)
        self.check(self.client.json(read, "a row") == state, "GET after PATCH differs from the PATCH response", read)
        row.state = state
        row.wrote(changes)

    def updates(self, table: Table) -> None:
        first = self.rows[table.name][0]
        candidates = [
            column
            for column in table.writable
            if not column.primary_key and column.target is None and not self.referenced(table, column)
        ]
        candidates.sort(key=lambda column: (column.unique, column.type != "String"))
        for column in candidates[:2]:
            try:
                value = self.values.fresh(table, column)
            except Skip:
                continue
            if same(column, value, first.value(column.name)):
                continue
            self.patch(first, {column.name: value}, f"PATCH {column.name}")
        for column in candidates:
            if column.nullable:
                self.patch(first, {column.name: None}, f"PATCH {column.name} to null")
                break
        if candidates:
            return
        # Only foreign keys to change: point one at another parent row.
        for column in table.writable:
            if column.primary_key or column.target is None or column.unique or column.target[0] == table.name:
                continue
            parents = [row for row in self.rows[column.target[0]] if row.live]
            value = next(
                (
                    row.state[column.target[1]]
                    for row in parents
                    if row.state[column.target[1]] != first.state[column.name]
                ),
                None,
            )
            if value is not None:
                self.patch(first, {column.name: value}, f"PATCH {column.name} to another parent row")
                return

    def exact_strings(self, table: Table) -> None:
        first, second = self.rows[table.name][0], self.rows[table.name][-1]
        if first is second:
            return
        for column in table.writable:
            if column.type != "String" or not column.unique or column.primary_key or self.referenced(table, column):
                continue
            value = first.value(column.name)
            if not isinstance(value, str) or (column.limits and (column.limits.pattern or column.limits.min_length)):
                continue  # a variant might break the pattern
            if value.swapcase() != value:
                self.patch(second, {column.name: value.swapcase()}, f"a unique {column.name} differing only in case")
            if len(value) < column.max_length:
                self.patch(second, {column.name: value + " "}, f"a unique {column.name} differing by a trailing space")

    def write_only(self, table: Table) -> None:
        """Write-only columns are in no response, no OpenAPI read shape, no filter and no sort."""
        hidden = [column for column in table.columns if column.write_only]
        if not hidden:
            return
        path = f"{API}/{table.name}"
        item = self.find_path(["api", "v1", table.name, len(table.key)])
        operation = self.operation(str(item), "get") or {}
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        read = self.schema_of(content.get("application/json", {}).get("schema", {}))
        listing = self.operation(path, "get") or {}
        parameters = {parameter.get("name") for parameter in listing.get("parameters", [])}
        first = self.rows[table.name][0]
        for column in hidden:
            self.check(
                column.name not in read.get("properties", {}), f"OpenAPI shows write-only {column.name} in a read"
            )
            self.check(column.name not in parameters, f"OpenAPI offers a filter on write-only {column.name}")
            value = first.value(column.name)
            probe = "1" if value is None else self.filter_text(value)
            response = self.client.request("GET", path, params={column.name: probe})
            self.client.expect(response, 422, what=f"filtering by write-only {column.name}")
            for sort in (column.name, f"-{column.name}"):
                response = self.client.request("GET", path, params={"sort": sort})
                self.client.expect(response, 422, what=f"sorting by write-only {column.name}")

    # -- many-to-many

    def many_to_many(self) -> None:
        for link in self.links:
            owner, target = self.tables[link.owner], self.tables[link.target]
            with self.step(f"many-to-many {link.owner}.{link.attr}"):
                put = self.find_path(["api", "v1", link.owner, len(owner.key), link.attr, len(target.key)])
                listing = self.find_path(["api", "v1", link.owner, len(owner.key), link.attr])
                if not link.writable:
                    continue
                self.check(
                    put is not None
                    and self.operation(put, "put") is not None
                    and self.operation(put, "delete") is not None,
                    f"writable many-to-many {link.owner}.{link.attr} (through {link.secondary})"
                    " has no PUT/DELETE link routes",
                )
                self.check(
                    listing is not None and self.operation(str(listing), "get") is not None,
                    f"{link.owner}.{link.attr} has no GET list route",
                )
                self.walk_link(link, owner, target)

    def linked(self, link: ManyToMany, owner_row: Row) -> list[list[Any]]:
        """Keys of the target rows linked to `owner_row` through live association rows."""
        assert link.owner_fk.target is not None and link.target_fk.target is not None
        mine = owner_row.state[link.owner_fk.target[1]]
        keys = []
        for association in self.rows[link.secondary]:
            if association.present and association.state[link.owner_fk.name] == mine:
                value = association.state[link.target_fk.name]
                for target_row in self.rows[link.target]:
                    if target_row.present and target_row.state[link.target_fk.target[1]] == value:
                        keys.append(target_row.key())
        return keys

    def listed(self, link: ManyToMany, owner_row: Row) -> list[list[Any]]:
        target = self.tables[link.target]
        response = self.client.request("GET", key_path(owner_row.table, owner_row.key()) + f"/{link.attr}")
        body = self.client.json(self.client.expect(response, 200, what=f"listing {link.attr}"), "a list")
        self.check(isinstance(body, list), "a many-to-many list is a JSON array", response)
        return [[item.get(column.name) for column in target.key] for item in body]

    def walk_link(self, link: ManyToMany, owner: Table, target: Table) -> None:
        for owner_row in self.rows[owner.name]:
            expected, got = self.linked(link, owner_row), self.listed(link, owner_row)
            self.check(
                sorted(map(str, got)) == sorted(map(str, expected)),
                f"{link.attr} lists {got}, expected {expected}",
                self.client.last_response,
            )
        self.unlink_existing(link, owner, target)
        pairs = [
            (a, b) for a in self.rows[owner.name] for b in self.rows[target.name] if b.key() not in self.linked(link, a)
        ]
        if not pairs:
            return
        owner_row, target_row = pairs[0]
        secondary = self.tables[link.secondary]
        url = key_path(owner, owner_row.key()) + f"/{link.attr}/" + key_path(target, target_row.key()).split("/", 4)[4]
        before = self.count(secondary)
        for attempt in ("linking", "linking again (idempotent)"):
            self.client.expect(self.client.request("PUT", url), 204, what=attempt)
        self.check(
            target_row.key() in self.listed(link, owner_row), "a linked row is not listed", self.client.last_response
        )
        self.check(
            self.count(secondary) == before + 1,
            f"linking did not add one {link.secondary} row",
            self.client.last_response,
        )
        for attempt in ("unlinking", "unlinking again (idempotent)"):
            self.client.expect(self.client.request("DELETE", url), 204, what=attempt)
        self.check(
            target_row.key() not in self.listed(link, owner_row),
            "an unlinked row is still listed",
            self.client.last_response,
        )
        self.check(
            self.count(secondary) == before,
            f"unlinking did not remove the {link.secondary} row",
            self.client.last_response,
        )
        try:
            absent = key_path(target, self.absent_key(target)).split("/", 4)[4]
        except Skip:
            return
        missing = key_path(owner, owner_row.key()) + f"/{link.attr}/" + absent
        self.client.expect(self.client.request("PUT", missing), 404, what="linking an absent row")

    def unlink_existing(self, link: ManyToMany, owner: Table, target: Table) -> None:
        """Unlinks a pair linked by association rows created earlier, after adding a
        second association row for the same pair when the table allows it."""
        assert link.owner_fk.target is not None and link.target_fk.target is not None
        owner_column, target_column = link.owner_fk.target[1], link.target_fk.target[1]
        pairs = [
            (a, b) for a in self.rows[owner.name] for b in self.rows[target.name] if b.key() in self.linked(link, a)
        ]
        if not pairs:
            return
        owner_row, target_row = pairs[0]
        secondary = self.tables[link.secondary]

        def of_pair() -> list[Row]:
            return [
                row
                for row in self.rows[secondary.name]
                if row.present
                and row.state[link.owner_fk.name] == owner_row.state[owner_column]
                and row.state[link.target_fk.name] == target_row.state[target_column]
            ]

        pair_is_unique = {column.name for column in secondary.key} <= {link.owner_fk.name, link.target_fk.name} or any(
            column.unique for column in (link.owner_fk, link.target_fk)
        )
        if not pair_is_unique:
            try:
                body = self.freshened(secondary, of_pair()[0].sent)
            except Skip:
                body = None
            if body is not None:
                response = self.client.request("POST", f"{API}/{secondary.name}", body=body)
                self.client.expect(response, 201, 409, what="a second association row for a linked pair")
                if response.status_code == 201:
                    self.rows[secondary.name].append(Row(secondary, body, self.client.json(response, "a row")))
        before, removed = self.count(secondary), of_pair()
        listed_before = len([row for row in removed if row.live])
        url = key_path(owner, owner_row.key()) + f"/{link.attr}/" + key_path(target, target_row.key()).split("/", 4)[4]
        self.client.expect(
            self.client.request("DELETE", url),
            204,
            what=f"unlinking a pair linked by {len(removed)} {secondary.name} row(s)",
        )
        for row in removed:
            row.present = row.live = False
        self.check(
            target_row.key() not in self.listed(link, owner_row),
            "an unlinked row is still listed",
            self.client.last_response,
        )
        self.check(
            self.count(secondary) == before - listed_before,
            f"unlinking did not remove the {len(removed)} {secondary.name} row(s) of the pair",
            self.client.last_response,
        )

    # -- keys set after creation (self-references are set at creation)

    def deferred(self) -> list[tuple[Table, Column]]:
        found = []
        for name in self.order:
            table = self.tables[name]
            for column in table.writable:
                if (
                    column.target
                    and column.target[0] != name
                    and self.order.index(column.target[0]) > self.order.index(name)
                ):
                    found.append((table, column))
        return found

    def set_deferred(self, clear: bool) -> None:
        for table, column in self.deferred():
            assert column.target is not None
            with self.step(f"{table.name}: cycle-breaking key {column.name}"):
                parent = self.rows[column.target[0]][0]
                value = None if clear else parent.state[column.target[1]]
                self.patch(self.rows[table.name][0], {column.name: value}, f"PATCH {column.name} = {value!r}")

    # -- teardown

    def referrers(self, row: Row) -> list[tuple[Row, Column]]:
        found = []
        for table in self.tables.values():
            for column in table.columns:
                if column.target is None or column.target[0] != row.table.name:
                    continue
                value = row.state[column.target[1]]
                for other in self.rows[table.name]:
                    if (
                        other.present
                        and other is not row
                        and other.state.get(column.name) == value
                        and value is not None
                    ):
                        found.append((other, column))
        return found

    def removable(self, row: Row, seen: set[int]) -> bool | None:
        """Whether the database lets `row` be removed (None: cannot tell, SET DEFAULT)."""
        if id(row) in seen:
            return True
        seen.add(id(row))
        verdict: bool | None = True
        for other, column in self.referrers(row):
            if column.on_delete == "CASCADE":
                inner = self.removable(other, seen)
                verdict = False if inner is False or verdict is False else (None if inner is None else verdict)
            elif column.on_delete in ("RESTRICT", "NO ACTION"):
                return False
            elif column.on_delete == "SET DEFAULT":
                verdict = None if verdict else verdict
        return verdict

    def remove(self, row: Row) -> None:
        row.present = row.live = False
        for other, column in self.referrers(row):
            if column.on_delete == "CASCADE":
                self.remove(other)
            elif column.on_delete == "SET NULL":
                other.state[column.name] = None

    def teardown(self) -> None:
        for name in reversed(self.order):
            table = self.tables[name]
            with self.step(f"{name}: deleting rows"):
                for row in reversed(self.rows[name]):
                    if not row.live:
                        continue
                    url = key_path(table, row.key())
                    removable = True if table.soft_delete else self.removable(row, set())
                    allowed = {True: (204,), False: (409,), None: (204, 409)}[removable]
                    response = self.client.request("DELETE", url)
                    self.client.expect(
                        response,
                        *allowed,
                        what="deleting a row"
                        + (" still referenced by rows that are kept" if removable is False else ""),
                    )
                    if response.status_code == 409:
                        blocking = [column.name for _, column in self.referrers(row)]
                        self.conflict_names(response, blocking, "a row still referenced")
                        continue
                    if table.soft_delete:
                        row.live = False
                    else:
                        self.remove(row)
                    self.client.expect(self.client.request("GET", url), 404, what="reading a deleted row")
                    self.client.expect(self.client.request("PATCH", url, body={}), 404, what="updating a deleted row")
                    self.client.expect(self.client.request("DELETE", url), 404, what="deleting a deleted row")
                    self.expect_count(table, "after a delete")
                    if table.soft_delete:
                        listed = self.client.json(
                            self.client.request("GET", f"{API}/{name}", params={"limit": 1000}), "a list"
                        )
                        keys = [[item.get(column.name) for column in table.key] for item in listed["data"]]
                        self.check(
                            row.key() not in keys, "a soft-deleted row is still listed", self.client.last_response
                        )
        for name in self.order:
            with self.step(f"{name}: after the teardown"):
                self.expect_count(self.tables[name], "after deleting every row")

    def run(self) -> None:
        self.check_openapi()
        for name in self.order:
            table = self.tables[name]
            with self.step(f"{name}: creating rows"):
                self.create_rows(table)
            with self.step(f"{name}: checks"):
                self.table_checks(table)
        with self.step("many-to-many"):
            self.many_to_many()
        with self.step("cycle-breaking keys"):
            self.set_deferred(clear=False)
            self.set_deferred(clear=True)
        with self.step("teardown"):
            self.teardown()
        if self.failures:
            raise Failure(f"{len(self.failures)} step(s) failed (see above)")


# --- the server --------------------------------------------------------------------------


# `uvicorn --fd N` would do, but it wraps the descriptor as an AF_UNIX socket, so asyncio
# leaves Nagle's algorithm on and every response waits 40 ms for a delayed ACK. Wrapped
# here, the family is read from the descriptor and TCP_NODELAY is set as usual.
SERVE = """
import socket, sys, uvicorn
listener = socket.socket(fileno=int(sys.argv[1]))
config = uvicorn.Config("app.main:app", log_level="warning", access_log=False)
uvicorn.Server(config).run(sockets=[listener])
"""


class Server:
    """`uvicorn app.main:app` in PROJECT_DIR on a loopback socket bound here."""

    def __init__(self, project: Path, log: IO[bytes]) -> None:
        self.log = log
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)  # connections wait in the backlog until uvicorn accepts them
        self.port = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        fd = listener.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(fd)],
            cwd=project,
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        listener.close()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"the server exited with status {self.process.returncode} before /health answered")
            try:
                response = httpx.get(self.url + "/health", timeout=5)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                last = str(error)
            time.sleep(0.1)
        raise Failure(f"/health did not answer 200 within {HEALTH_TIMEOUT_S} s (last: {last})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def log_tail(log: IO[bytes], lines: int = 80) -> str:
    log.flush()
    log.seek(0)
    text = log.read().decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def schemathesis(server: Server, max_examples: int, seed: int | None, phases: str) -> None:
    """`schemathesis run` against the server: any 5xx fails. Deterministic generation by
    default (the same cases every run), or seeded random generation with `seed`."""
    executable = Path(sys.executable).with_name("schemathesis")
    command = [
        str(executable),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--phases",
        phases,
        "--max-examples",
        str(max_examples),
        *(["--generation-deterministic"] if seed is None else ["--seed", str(seed)]),
        "--workers",
        "1",
        "--no-color",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--output-sanitize",
        "false",
    ]
    with tempfile.TemporaryDirectory(prefix="walk-schemathesis-") as directory:
        try:
            result = subprocess.run(
                command, cwd=directory, capture_output=True, text=True, check=False, timeout=SCHEMATHESIS_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            raise Failure(f"schemathesis did not finish within {SCHEMATHESIS_TIMEOUT_S} s") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise Failure(f"schemathesis found failures (exit {result.returncode}):\n{output[-12000:]}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="A black-box HTTP walk of a generated backend.")
    parser.add_argument("project", type=Path)
    parser.add_argument("schema", type=Path)
    parser.add_argument("--schemathesis", action="store_true", help="then fuzz with schemathesis")
    parser.add_argument("--max-examples", type=int, default=5, help="schemathesis cases per operation (default 5)")
    parser.add_argument("--seed", type=int, help="seeded random cases instead of the deterministic ones")
    parser.add_argument(
        "--phases",
        default="fuzzing,stateful",
        help="schemathesis phases (default fuzzing,stateful; coverage adds ~4000 boundary cases)",
    )
    parser.add_argument("--keep-going", action="store_true", help="report every failing step, not only the first")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        print("walk.py: DATABASE_URL must name a migrated, empty database", file=sys.stderr)
        return 2
    tables = load_schema(args.schema)
    started = time.monotonic()
    with tempfile.TemporaryFile() as log:
        server = Server(args.project, log)
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        walk: Walk | None = None
        try:
            server.wait_healthy()
            with httpx.Client(base_url=server.url) as probe:
                openapi = probe.get("/openapi.json").json()
            walk = Walk(Client(server.url), tables, openapi)
            walk.keep_going = args.keep_going
            walk.run()
            walked = time.monotonic() - started
            print(
                f"walk.py: {len(tables)} tables, {walk.client.requests} requests,"
                f" {walk.checks} checks passed in {walked:.1f} s"
            )
            if args.schemathesis:
                schemathesis(server, args.max_examples, args.seed, args.phases)
                print(f"walk.py: schemathesis found no server error in {time.monotonic() - started - walked:.1f} s")
        except Failure as failure:
            server.stop()  # the log is complete once the server has exited
            print(f"walk.py: FAILED\n{failure}", file=sys.stderr)
            print(f"--- the end of the server's log\n{log_tail(log)}", file=sys.stderr)
            return 1
        finally:
            server.stop()
            signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
