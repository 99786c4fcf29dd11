from django.apps import AppConfig


class WebConfig(AppConfig):
    """Pages, templates and static files. Cached pages follow content through explicit calls
    where it is written (``broadsheet.freshness``), so this app connects no signals."""

    name = "broadsheet.web"
    label = "web"
    verbose_name = "Web pages"
