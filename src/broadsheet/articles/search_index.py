"""The full-text search index's SQL: SQLite FTS5 or a PostgreSQL tsvector, whichever is in use.

The index lives beside the article table and is kept in step by the database itself (an FTS5
table and triggers on SQLite, a tsvector column and a trigger on PostgreSQL), so every way of
writing articles keeps it current. Migration ``0002_search_index`` creates it from the
statements here, and ``ensure_index`` (run after every ``migrate``, by ``broadsheet copy-to``
and by the benchmark store) puts back any part a later table rebuild dropped, from the same
statements, so the two can never disagree.
"""

from __future__ import annotations

import logging

from django.db import connection

log = logging.getLogger("broadsheet.articles.search")

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS articles_article_fts USING fts5(
        title, summary, text, author,
        content='articles_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS articles_article_fts_insert AFTER INSERT ON articles_article
    BEGIN
        INSERT INTO articles_article_fts(rowid, title, summary, text, author)
        VALUES (new.id, new.title, new.summary, new.text, new.author);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS articles_article_fts_delete AFTER DELETE ON articles_article
    BEGIN
        INSERT INTO articles_article_fts(articles_article_fts, rowid, title, summary, text, author)
        VALUES ('delete', old.id, old.title, old.summary, old.text, old.author);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS articles_article_fts_update
    AFTER UPDATE OF title, summary, text, author ON articles_article
    BEGIN
        INSERT INTO articles_article_fts(articles_article_fts, rowid, title, summary, text, author)
        VALUES ('delete', old.id, old.title, old.summary, old.text, old.author);
        INSERT INTO articles_article_fts(rowid, title, summary, text, author)
        VALUES (new.id, new.title, new.summary, new.text, new.author);
    END
    """,
    "INSERT INTO articles_article_fts(articles_article_fts) VALUES ('rebuild')",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS articles_article_fts_update",
    "DROP TRIGGER IF EXISTS articles_article_fts_delete",
    "DROP TRIGGER IF EXISTS articles_article_fts_insert",
    "DROP TABLE IF EXISTS articles_article_fts",
]

# Title weighs most, then author and summary, then the body. A tsvector column kept by a trigger
# (rather than a generated column) leaves later changes to the text columns free; stored vectors
# make ranking and filtered searches cheap. The body is capped so that a pathological page can
# never make an insert fail on tsvector's size limit.
POSTGRES_COLUMN = [
    "DROP INDEX IF EXISTS articles_article_search_gin",  # an early version indexed an expression
    "ALTER TABLE articles_article ADD COLUMN IF NOT EXISTS search_vector tsvector",
]

POSTGRES_TRIGGER = [
    """
    CREATE OR REPLACE FUNCTION articles_article_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, coalesce(NEW.author, '')), 'B')
            || setweight(to_tsvector('english'::regconfig, coalesce(NEW.summary, '')), 'B')
            || setweight(to_tsvector('english'::regconfig,
                                     left(coalesce(NEW.text, ''), 200000)), 'C');
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS articles_article_search_vector ON articles_article",
    """
    CREATE TRIGGER articles_article_search_vector
    BEFORE INSERT OR UPDATE OF title, summary, text, author ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_search_vector()
    """,
    # Fill the column for articles stored before the index existed (the trigger does the work).
    "UPDATE articles_article SET title = title",
]

POSTGRES_INDEX = [
    "CREATE INDEX IF NOT EXISTS articles_article_search_gin ON articles_article "
    "USING gin (search_vector)",
]

POSTGRES_FORWARD = POSTGRES_COLUMN + POSTGRES_TRIGGER + POSTGRES_INDEX

POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS articles_article_search_gin",
    "DROP TRIGGER IF EXISTS articles_article_search_vector ON articles_article",
    "DROP FUNCTION IF EXISTS articles_article_search_vector()",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
]


def run_forward(schema_editor) -> None:
    """Create the index for the engine in use (the migration's forward step)."""
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def run_backward(schema_editor) -> None:
    """Drop the index for the engine in use (the migration's backward step)."""
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def ensure_index(using_connection=None) -> bool:
    """Put the search index back if part of it is missing; returns whether it had to.

    On SQLite a table rebuild by a later schema migration drops the triggers with the old table;
    on PostgreSQL a database migrated by an early version lacks the stored vector. Both are
    re-created here (and the index refilled); called after every ``migrate``.
    """
    conn = using_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                           " AND name = 'articles_article'")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                           " AND name LIKE 'articles_article_fts_%'")
            if cursor.fetchone()[0] == 3:
                return False
            statements = SQLITE_FORWARD
        elif conn.vendor == "postgresql":
            cursor.execute("SELECT to_regclass('articles_article') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = 'articles_article'"
                " AND column_name = 'search_vector'),"
                " EXISTS (SELECT 1 FROM pg_trigger"
                " WHERE tgname = 'articles_article_search_vector')")
            has_column, has_trigger = cursor.fetchone()
            if has_column and has_trigger:
                return False
            # Only the missing parts: changing the table itself is refused while the current
            # transaction has deferred constraint checks pending.
            statements = (POSTGRES_TRIGGER if has_column
                          else POSTGRES_FORWARD)
        else:
            return False
        for statement in statements:
            cursor.execute(statement)
    log.warning("search index repaired and rebuilt")
    return True
