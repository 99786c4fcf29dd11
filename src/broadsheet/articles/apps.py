from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "broadsheet.articles"
    label = "articles"
    verbose_name = "Articles"
