"""The layering holds: the ingest stages know nothing of the database apps, and only the poll
(and the commands above it) chains stages, storage and stories.

Imports are read from the source with ``ast``, those inside functions included, so a lazy import
cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import broadsheet

PACKAGE = Path(broadsheet.__file__).resolve().parent
DATABASE_APPS = ("sources", "stories", "articles", "readers", "curation", "publishers", "audit",
                 "api", "web", "ops", "demo", "poll", "db")
BELOW_THE_POLL = ("ingest", "sources", "articles", "stories")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name ``source`` imports (``from x import y`` counts as x and x.y)."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def offenders(folder: str, banned: tuple[str, ...], database: bool = False) -> list[str]:
    """``file: module`` for every import, under ``folder``, of a banned part of Broadsheet (and of
    Django's database layer when ``database``)."""
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        module = module_name(path)
        for name in imported(path.read_text(), module, path.name == "__init__.py"):
            if _banned(name, banned, database):
                found.append(f"{path.relative_to(PACKAGE)}: {name}")
    return found


def _banned(name: str, banned: tuple[str, ...], database: bool = True) -> bool:
    if database and (name == "django.db" or name.startswith("django.db.")):
        return True
    return any(
        name == f"broadsheet.{app}" or name.startswith(f"broadsheet.{app}.") for app in banned)


def test_the_ingest_stages_import_no_database_app() -> None:
    assert offenders("ingest", DATABASE_APPS, database=True) == []


@pytest.mark.parametrize("folder", BELOW_THE_POLL)
def test_nothing_below_the_poll_imports_it(folder: str) -> None:
    assert offenders(folder, ("poll",)) == []


def test_the_check_sees_every_form_of_import() -> None:
    source = """
import broadsheet.articles.store as store
from broadsheet import sources
from ..stories import assign
from .parse import Entry

def late():
    from django.db import transaction
    from broadsheet.readers.paywall import teaser
"""
    names = imported(source, "broadsheet.ingest.example")
    caught = sorted(name for name in names if _banned(name, DATABASE_APPS))
    assert caught == ["broadsheet.articles.store", "broadsheet.readers.paywall",
                      "broadsheet.readers.paywall.teaser", "broadsheet.sources",
                      "broadsheet.stories", "broadsheet.stories.assign", "django.db",
                      "django.db.transaction"]
    assert "broadsheet.ingest.parse.Entry" in names


def test_a_package_resolves_its_own_relative_imports() -> None:
    assert "broadsheet.ingest.parse.model" in imported(
        "from .model import Entry", "broadsheet.ingest.parse", is_package=True)
