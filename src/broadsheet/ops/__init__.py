"""Operating an installation: backups and restores of the SQLite home, and moving it to PostgreSQL.

These modules sit above every app (they copy all of their tables) and below nothing but the
command line.
"""
