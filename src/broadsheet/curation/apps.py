from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "broadsheet.curation"
    label = "curation"
    verbose_name = "Sections and editors' picks"
