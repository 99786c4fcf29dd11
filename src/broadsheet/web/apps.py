from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class WebConfig(AppConfig):
    name = "broadsheet.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from broadsheet.articles.models import Article
        from broadsheet.audit.models import EditorialAction
        from broadsheet.curation.models import Section
        from broadsheet.freshness import bump_generation
        from broadsheet.sources.models import Publisher

        # Pages show articles, publishers and sections: a change to any makes cached pages stale.
        for model in (Article, Publisher, Section):
            post_save.connect(bump_generation, sender=model, dispatch_uid=f"web-pages-{model}")
            post_delete.connect(bump_generation, sender=model,
                                dispatch_uid=f"web-pages-del-{model}")
        # Every editorial action (a pick, a story edit, a takedown) is logged: cached pages are
        # stale now, and again once it is committed (a page cached meanwhile showed the old).
        post_save.connect(_after_editorial_action, sender=EditorialAction,
                          dispatch_uid="web-pages-editorial")
        post_migrate.connect(_repair_search_index, dispatch_uid="web-search-index")


def _after_editorial_action(**_kwargs) -> None:
    from django.db import transaction

    from broadsheet.freshness import bump_generation

    bump_generation()
    transaction.on_commit(bump_generation)


def _repair_search_index(sender, using="default", **kwargs) -> None:
    """A later migration that rebuilds the article table drops SQLite's search triggers."""
    if getattr(sender, "label", "") != "articles":
        return
    from django.db import connections

    from broadsheet.articles.search_index import ensure_index

    ensure_index(connections[using])
