"""The full-text search index: SQLite FTS5 or PostgreSQL tsvector, whichever engine is in use.

The index lives beside the article table and is kept in step by the database itself (triggers on
SQLite, an expression index on PostgreSQL), so every way of writing articles keeps it current.
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

# Title weighs most, then author and summary, then the body. An expression index (rather than a
# stored column) leaves later column changes free; the body is capped so that a pathological page
# can never make an insert fail on tsvector's size limit. broadsheet.articles.search repeats this
# expression exactly, so that its queries use the index.
POSTGRES_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(author, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, left(coalesce(text, ''), 200000)), 'C'))"
)

POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS articles_article_search_gin ON articles_article "
    f"USING gin ({POSTGRES_VECTOR})",
]

POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS articles_article_search_gin",
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
