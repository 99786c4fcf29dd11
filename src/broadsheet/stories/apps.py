from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "broadsheet.stories"
    label = "stories"
    verbose_name = "Stories"
