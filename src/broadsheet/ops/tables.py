"""Every table Broadsheet keeps, in an order where each comes after the tables it points to."""

from __future__ import annotations

from graphlib import TopologicalSorter

from django.apps import apps
from django.db.models import ForeignKey, Model

# Filled by `migrate` itself: its record of migrations, and the content types and permissions
# that its post-migrate step creates, and the main sections a data migration adds. A target
# holding rows only here is still an empty installation.
FILLED_BY_MIGRATE = frozenset({"django_migrations", "django_content_type", "auth_permission",
                               "curation_section"})


def units_in_order() -> list[list[type[Model]]]:
    """All installed models with a table of their own (many-to-many tables included), in units.

    A unit is one table, or tables whose foreign keys point at each other (articles and
    stories); each unit comes after every table it points to, and is copied in one transaction,
    so PostgreSQL checks the keys between its tables (deferred by Django) when it commits.
    """
    models = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)
              if m._meta.managed and not m._meta.proxy}
    graph = {table: _points_to(model, models) for table, model in models.items()}
    reach = {table: _reachable(table, graph) for table in graph}
    unit_of = {table: frozenset({table} | {o for o in reach[table] if table in reach[o]})
               for table in graph}
    condensed: dict[frozenset[str], set[frozenset[str]]] = {}
    for table, unit in unit_of.items():
        condensed.setdefault(unit, set()).update(
            unit_of[other] for other in graph[table] if unit_of[other] != unit)
    order = TopologicalSorter(condensed).static_order()
    return [[models[table] for table in sorted(unit)] for unit in order]


def _points_to(model: type[Model], models: dict[str, type[Model]]) -> set[str]:
    table = model._meta.db_table
    found: set[str] = set()
    for field in model._meta.concrete_fields:
        target = field.related_model  # the model class once apps are loaded ("self" resolved)
        if not isinstance(field, ForeignKey) or not isinstance(target, type):
            continue
        # django-stubs takes db_constraint as ForeignKey's argument but omits the attribute.
        if not field.db_constraint:  # type: ignore[attr-defined]
            continue
        other = target._meta.db_table
        if other != table and other in models:
            found.add(other)
    return found


def _reachable(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        table = todo.pop()
        if table not in seen:
            seen.add(table)
            todo.extend(graph[table])
    return seen


def models_in_order() -> list[type[Model]]:
    return [model for unit in units_in_order() for model in unit]
