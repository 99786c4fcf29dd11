from django.apps import AppConfig


class PublishersConfig(AppConfig):
    name = "broadsheet.publishers"
    label = "publishers"
    verbose_name = "Reads and publishers' statements"
