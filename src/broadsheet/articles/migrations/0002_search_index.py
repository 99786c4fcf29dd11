"""The full-text search index: SQLite FTS5 or PostgreSQL tsvector, whichever engine is in use.

The index lives beside the article table and is kept in step by the database itself (an FTS5
table and triggers on SQLite, a tsvector column and a trigger on PostgreSQL), so every way of
writing articles keeps it current.
"""

from django.db import migrations

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


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def forward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_FORWARD)


def backward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
