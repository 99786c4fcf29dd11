from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "broadsheet.articles"
    label = "articles"
    verbose_name = "Articles"

    def ready(self) -> None:
        """Repair the search index after every ``migrate``: only Django knows when one ran."""
        post_migrate.connect(_repair_search_index, sender=self, dispatch_uid="articles-search")


def _repair_search_index(sender, using="default", **kwargs) -> None:
    """A later migration that rebuilds the article table drops SQLite's search triggers."""
    from django.db import connections

    from .search_index import ensure_index

    ensure_index(connections[using])
