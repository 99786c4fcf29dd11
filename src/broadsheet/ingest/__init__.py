"""The ingest stages: fetch, parse, extract, sanitise, prepare; plain Python in and out.

Nothing here imports the database apps: ``broadsheet.poll`` chains these stages with the store,
the schedule and the stories.
"""
