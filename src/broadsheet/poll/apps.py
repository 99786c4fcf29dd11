from django.apps import AppConfig


class PollConfig(AppConfig):
    """An app without models, so that the worker finds the poll's tasks (``tasks.py``)."""

    name = "broadsheet.poll"
    label = "poll"
    verbose_name = "Polling sources"
