from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "broadsheet.readers"
    label = "readers"
    verbose_name = "Readers and membership"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the password-change receivers
