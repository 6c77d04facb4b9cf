"""Fresh, empty test databases on the local PostgreSQL and MariaDB servers.

Run with the python that scripts/python-env prints (it needs psycopg and PyMySQL):

    databases.py available postgresql|mariadb    exit 0 if the server answers within 3 s, else 1
    databases.py create    postgresql|mariadb NAME
                                                 (re)create NAME empty; print its SQLAlchemy URL
    databases.py drop      postgresql|mariadb NAME
                                                 drop NAME if it exists (even with open sessions)
    databases.py url       postgresql|mariadb NAME
                                                 print the SQLAlchemy URL only
    databases.py exists    postgresql|mariadb NAME
                                                 exit 0 if NAME exists, else 1

NAME must match [a-z0-9_]+ (at most 63 characters) and be unique per run; the caller makes it
so (e.g. from the test name and the process id). The servers are the machine's own:
PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and MariaDB on 127.0.0.1:3306
(user root, empty password). Errors go to stderr with exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Callable
from typing import Any

import psycopg
import pymysql

HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
MARIADB_PORT = 3306
MARIADB_USER = "root"
TIMEOUT_S = 3

NAME_RE = re.compile(r"[a-z0-9_]{1,63}")
KINDS = ("postgresql", "mariadb")


def url(kind: str, name: str) -> str:
    if kind == "postgresql":
        return f"postgresql+psycopg://{PG_USER}@{HOST}:{PG_PORT}/{name}"
    return f"mysql+pymysql://{MARIADB_USER}@{HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"


def _pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname="postgres",
        connect_timeout=TIMEOUT_S,
        autocommit=True,  # CREATE/DROP DATABASE cannot run in a transaction
    )


def _mariadb_admin(io_timeout_s: int = 60) -> pymysql.connections.Connection[Any]:
    # PyMySQL applies connect_timeout to the TCP connect only; the handshake waits read_timeout.
    return pymysql.connect(
        host=HOST,
        port=MARIADB_PORT,
        user=MARIADB_USER,
        password="",
        connect_timeout=TIMEOUT_S,
        read_timeout=io_timeout_s,
        write_timeout=io_timeout_s,
        autocommit=True,
    )


def _pg_drop(cur: psycopg.Cursor[Any], name: str) -> None:
    # WITH (FORCE) (PostgreSQL 13+) ends sessions still connected, e.g. a server left running.
    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create(kind: str, name: str) -> None:
    if kind == "postgresql":
        with _pg_admin() as conn, conn.cursor() as cur:
            _pg_drop(cur, name)
            cur.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    else:
        conn = _mariadb_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        finally:
            conn.close()
    print(url(kind, name))


def drop(kind: str, name: str) -> None:
    if kind == "postgresql":
        with _pg_admin() as conn, conn.cursor() as cur:
            _pg_drop(cur, name)
    else:
        conn = _mariadb_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()


def exists(kind: str, name: str) -> bool:
    if kind == "postgresql":
        with _pg_admin() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cur.fetchone() is not None
    conn = _mariadb_admin()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def _deadline(signum: int, frame: object) -> None:
    raise TimeoutError(f"no answer within {TIMEOUT_S} s")


def available(kind: str) -> bool:
    # The drivers' own timeouts cover connect and handshake; the alarm bounds the whole check.
    previous = signal.signal(signal.SIGALRM, _deadline)
    signal.alarm(TIMEOUT_S)
    try:
        if kind == "postgresql":
            with _pg_admin() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
        else:
            conn = _mariadb_admin(io_timeout_s=TIMEOUT_S)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
            finally:
                conn.close()
    except (psycopg.Error, pymysql.Error, OSError) as exc:  # TimeoutError is an OSError
        print(f"databases.py: {kind} at {HOST}:{_port(kind)} is not available: {exc}", file=sys.stderr)
        return False
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return True


def _port(kind: str) -> int:
    return PG_PORT if kind == "postgresql" else MARIADB_PORT


def main(argv: list[str]) -> int:
    def usage(msg: str) -> int:
        print(f"databases.py: {msg}\n\n{__doc__}", file=sys.stderr)
        return 2

    if len(argv) < 2:
        return usage("missing command")
    command, kind, args = argv[0], argv[1], argv[2:]
    if kind not in KINDS:
        return usage(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    if command == "available":
        if args:
            return usage("available takes only a kind")
        return 0 if available(kind) else 1
    actions: dict[str, Callable[[str, str], None]] = {
        "create": create,
        "drop": drop,
        "url": lambda k, n: print(url(k, n)),
    }
    if command not in actions and command != "exists":
        return usage(f"unknown command {command!r}")
    if len(args) != 1:
        return usage(f"{command} takes a kind and a database name")
    name = args[0]
    if not NAME_RE.fullmatch(name):
        return usage(f"bad database name {name!r}: it must match [a-z0-9_]+, at most 63 characters")
    if command == "exists":
        try:
            return 0 if exists(kind, name) else 1
        except (psycopg.Error, pymysql.Error, OSError) as exc:
            print(f"databases.py: exists {kind} {name} failed: {exc}", file=sys.stderr)
            return 2
    try:
        actions[command](kind, name)
    except (psycopg.Error, pymysql.Error, OSError) as exc:
        print(f"databases.py: {command} {kind} {name} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
