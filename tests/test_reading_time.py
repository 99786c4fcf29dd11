"""One reading-time rule: the stored word count at 230 words a minute, to the nearest minute,
the same on the article page and in the JSON API."""

from __future__ import annotations

import ast
import pathlib

import pytest
from pages_fixtures import make_article, make_publisher

from broadsheet.ingest.words import WORDS_PER_MINUTE, reading_minutes, word_count
from broadsheet.web.links import article_path

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "broadsheet"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("   ", 0),
        ("one two  three", 3),
        ("Don't stop: state-of-the-art, 3.14 — ok!", 5),
        ("l'été est là", 3),
        ("東京は晴れ", 5),
        ("Привет, мир", 2),
    ],
)
def test_word_count(text: str, count: int) -> None:
    assert word_count(text) == count


@pytest.mark.parametrize(
    ("words", "minutes"),
    [(None, 0), (0, 0), (-3, 0), (1, 1), (50, 1), (230, 1), (344, 1), (346, 2), (2300, 10)],
)
def test_reading_minutes(words: int | None, minutes: int) -> None:
    assert WORDS_PER_MINUTE == 230
    assert reading_minutes(words) == minutes


@pytest.mark.django_db
def test_page_and_api_say_the_same_minutes(client) -> None:
    article = make_article(make_publisher("The Daily Example"), word_count=1500)
    page = client.get(article_path(article)).content.decode()
    assert "7 min read" in page  # 1,500 / 230 = 6.52, to the nearest minute
    answer = client.get(f"/api/v1/articles/{article.pk}").json()
    assert answer["reading_minutes"] == 7 == reading_minutes(article.word_count)


@pytest.mark.django_db
def test_unknown_length_says_nothing(client) -> None:
    article = make_article(make_publisher("The Daily Example"), word_count=0)
    assert "min read" not in client.get(article_path(article)).content.decode()
    assert client.get(f"/api/v1/articles/{article.pk}").json()["reading_minutes"] == 0


def test_no_other_module_has_a_reading_rule() -> None:
    """Only ``ingest/words.py`` defines ``reading_minutes`` or ``word_count`` over text."""
    owners = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in {"reading_minutes",
                                                                    "word_count"}:
                owners.append(str(path.relative_to(SRC)))
    # api/present.py's reading_minutes(article) hands the stored count to the rule;
    # demo/site.py's word_count is a property of the demo's generated page, not a rule.
    assert sorted(set(owners) - {"api/present.py", "demo/site.py"}) == ["ingest/words.py"]
