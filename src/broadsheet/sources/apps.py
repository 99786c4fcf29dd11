from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "broadsheet.sources"
    label = "sources"
    verbose_name = "Publishers and sources"
