"""``broadsheet worker``: Huey's consumer with the heartbeat that /readyz reads."""

from __future__ import annotations

from . import heartbeat


def run_worker() -> None:
    """Run the consumer until it is stopped (SIGINT or SIGTERM).

    Started here rather than through Huey's ``run_huey`` command, which gives the ``huey`` logger
    a second handler of its own; logging is configured once, by the LOGGING setting.
    """
    from django.conf import settings
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    consumer = HUEY.create_consumer(**settings.HUEY["consumer"])
    heartbeat.Heartbeat(consumer).start()
    consumer.run()
