"""Running and operating an installation: health and readiness, metrics, the worker's heartbeat,
backups and restores of the SQLite home, and moving it to PostgreSQL.

These modules sit above every app (backups copy all of their tables) and below nothing but the
command line.
"""
