"""Apps import downwards only: the layer order of docs/architecture.md ("Layers"), checked on
every import in src/broadsheet (including imports inside functions, which are dependencies too).

A module may import its own layer and the layers below it. An import of a higher layer fails
this test unless it is one of the few exceptions below, each named with the reason it stands.
"""

from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "broadsheet"

# Lowest first. A unit is a top-level module or package of broadsheet, or a module of one
# (the longest name that matches wins), as docs/architecture.md lists them.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"config", "db", "logs", "metrics", "markup", "freshness", "periodic",
                    "outages"}),
    ("ingest", {"ingest"}),
    ("sources and the editorial log", {"sources", "audit"}),
    ("articles", {"articles"}),
    ("stories", {"stories"}),
    ("readers", {"readers"}),
    ("publishers", {"publishers"}),
    ("curation", {"curation"}),
    ("web", {"web"}),
    ("api", {"api"}),
    ("the poll", {"poll"}),
    ("operations and the demo", {"ops", "demo"}),
    ("entry points", {"config.urls", "config.wsgi", "cli"}),
]

# (importing module, imported unit): why this upward import stands.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("articles.search", "readers"): "every search snippet is cut from what the one paywall "
                                    "policy (readers.paywall.visible_body) lets the searcher "
                                    "read, so search asks it directly",
    ("readers.views", "api"): "the account page lists and issues the reader's API tokens and "
                              "private feed addresses, which the API app owns",
    ("readers.views", "publishers"): "the account page links a publisher's staff to their "
                                     "statements",
    ("readers.opml_views", "api"): "the account page's OPML import and export are the API's "
                                   "own, so the page and /api/v1/opml never differ",
    ("readers.commands", "api"): "`broadsheet users token` issues an API token",
    ("readers.commands", "publishers"): "`broadsheet users publisher` links an account to a "
                                        "publisher",
}


def unit_of(module: str) -> str:
    """The layer unit of a dotted module name below ``broadsheet``."""
    parts = module.split(".")
    names = {unit for _, units in LAYERS for unit in units}
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in names:
            return ".".join(parts[:n])
    return parts[0]


def layer_of(unit: str) -> int:
    for index, (_, units) in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"broadsheet.{unit} has no layer: add it to LAYERS and the docs")


def imports_in(text: str, module: str, is_package: bool = False) -> set[str]:
    """Every broadsheet module that the source ``text`` of ``module`` imports."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # "from broadsheet import markup" imports broadsheet.markup: keep each name too.
            base = ".".join(["broadsheet", *package[:len(package) - node.level + 1]]) \
                if node.level else ""
            source = ".".join(part for part in (base, node.module or "") if part)
            names = [f"{source}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name.removeprefix("broadsheet.") for name in names
                  if name.startswith("broadsheet.") and not name.startswith("broadsheet.__")}
    return found


def imports_of(path: pathlib.Path) -> set[str]:
    """Every broadsheet module the file at ``path`` imports, as names below ``broadsheet``."""
    return imports_in(path.read_text(encoding="utf-8"), module_name(path),
                      path.name == "__init__.py")


def module_name(path: pathlib.Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")


def upward_imports() -> list[str]:
    """Every import of a higher layer that is not a named exception."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path == SRC / "__init__.py":
            continue
        module = module_name(path)
        own = layer_of(unit_of(module))
        for target in sorted(imports_of(path)):
            unit = unit_of(target)
            if layer_of(unit) > own and not _excepted(module, unit):
                found.append(f"broadsheet.{module} imports broadsheet.{target} "
                             f"({LAYERS[layer_of(unit)][0]} is above {LAYERS[own][0]})")
    return found


def _excepted(module: str, unit: str) -> bool:
    return (module, unit) in EXCEPTIONS


def test_apps_import_downwards() -> None:
    assert upward_imports() == []


def test_every_exception_is_still_needed() -> None:
    """An exception whose import has gone is removed, so the list stays the truth."""
    used = set()
    for path in SRC.rglob("*.py"):
        module = module_name(path)
        used |= {(module, unit_of(t)) for t in imports_of(path)}
    assert sorted(set(EXCEPTIONS) - used) == []


def test_every_unit_has_a_layer() -> None:
    for path in SRC.iterdir():
        if path.name.startswith("_") or path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix == ".py":
            layer_of(path.name.removesuffix(".py"))


def test_the_check_finds_an_upward_import() -> None:
    """Relative, absolute and in-function imports alike; a higher layer is found as such."""
    text = ("from ..web import links\nfrom . import models\n\n"
            "def f():\n    import broadsheet.api.api\n")
    found = imports_in(text, "stories.sample")
    assert found == {"web.links", "stories.models", "api.api"}
    assert layer_of(unit_of("web")) > layer_of(unit_of("stories.sample"))
    assert imports_in("from ... import markup\n", "ingest.parse", is_package=True) == {"markup"}
