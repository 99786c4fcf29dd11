"""The poll: the one orchestrator above the stages.

``ingest/`` holds the pure stages (fetch, parse, extract, sanitise, prepare) and knows nothing of
the database; ``sources/`` keeps the schedule, ``publishers/site_templates.py`` keeps each site's
repeated blocks, ``articles/store.py`` stores, ``stories/`` clusters and ranks. This package calls
them in turn (:mod:`.pipeline`) and runs the poll as background work (:mod:`.tasks`); every caller
(the command line, the worker, the demo, the benchmarks) comes here.
"""
