"""`python -m broadsheet.config.probe URL`: exit 0 when the PostgreSQL server at URL answers.

The server is asked through its `postgres` database: the tests create their own database there,
so the one named in URL need not exist.
"""

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg


def main(url: str) -> int:
    try:
        parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=3):
            return 0
    except psycopg.Error as exc:
        print(f"PostgreSQL unreachable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
