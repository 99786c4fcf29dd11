"""The paywall policy: who reads full text, and what everyone else sees (at most two opening
paragraphs, never the rest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.readers.models import Membership, User
from broadsheet.readers.paywall import can_read_full, teaser, visible_body

State = Membership.State

PARAGRAPHS = [
    "The council voted on Tuesday to close the old harbour bridge to traffic.",
    "Engineers had warned for years that the steel was fatigued beyond repair.",
    "SECRET-THREE: residents will be offered a free ferry until the new bridge opens.",
    "SECRET-FOUR: the mayor said the decision was the hardest of her career.",
    "SECRET-FIVE: work on the replacement begins next spring.",
]


def article(paragraphs: list[str] = PARAGRAPHS) -> Article:
    return Article(title="Bridge closes", html="".join(f"<p>{p}</p>" for p in paragraphs),
                   text="\n\n".join(paragraphs))


def reader(state: str | None, *, trial_left: timedelta | None = None,
           period_left: timedelta | None = None, **flags) -> User:
    """An unsaved user with an unsaved membership (the policy needs no database)."""
    now = timezone.now()
    user = User(email="reader@example.org", **flags)
    if state is not None:
        Membership(user=user, state=state,
                   trial_ends_at=now + trial_left if trial_left is not None else None,
                   current_period_end=now + period_left if period_left is not None else None)
    return user


DAY = timedelta(days=1)

CASES = [
    ("visitor", AnonymousUser(), False),
    ("no user at all", None, False),
    ("signed in, no membership", reader(None), False),
    ("trialing, in trial", reader(State.TRIALING, trial_left=3 * DAY), True),
    ("trialing, trial over", reader(State.TRIALING, trial_left=-timedelta(seconds=1)), False),
    ("trialing without an end", reader(State.TRIALING), False),
    ("active", reader(State.ACTIVE), True),
    ("active with a period", reader(State.ACTIVE, period_left=20 * DAY), True),
    ("past due (payment being retried)", reader(State.PAST_DUE, period_left=-DAY), True),
    ("cancelled before period end", reader(State.CANCELLED, period_left=DAY), True),
    ("cancelled after period end", reader(State.CANCELLED, period_left=-DAY), False),
    ("cancelled without a period", reader(State.CANCELLED), False),
    ("expired", reader(State.EXPIRED, period_left=DAY), False),
    ("staff without membership", reader(None, is_staff=True), True),
    ("inactive member", reader(State.ACTIVE, is_active=False), False),
    ("inactive staff", reader(None, is_staff=True, is_active=False), False),
]


@pytest.mark.parametrize(("who", "user", "full"), CASES, ids=[case[0] for case in CASES])
def test_who_reads_full_text(who, user, full):
    assert can_read_full(user) is full
    body = visible_body(user, article())
    assert body.full is full
    if full:
        assert "SECRET-FIVE" in body.html and "SECRET-FIVE" in body.text
    else:
        assert "SECRET" not in body.html and "SECRET" not in body.text


def test_teaser_is_the_opening_two_paragraphs_and_nothing_else():
    html, text = teaser(article())
    assert html.count("<p>") == 2
    assert PARAGRAPHS[0] in html and PARAGRAPHS[1] in html
    assert text == "\n\n".join(PARAGRAPHS[:2])
    assert "SECRET" not in html + text


def test_a_long_opening_paragraph_is_cut_short():
    long_first = " ".join(f"word{i}" for i in range(500))
    html, text = teaser(article([long_first, "SECRET-TWO follows."]))
    assert "word79" in text and "word80" not in text and "word499" not in html
    assert "SECRET" not in html + text
    assert html.count("<p>") == 1


def test_teaser_never_includes_text_hidden_outside_paragraphs():
    body = Article(title="t", html="<p>Opening line.</p><div>Second part.</div>"
                                   "<blockquote>SECRET-QUOTE</blockquote><p>SECRET-END</p>",
                   text="Opening line.\n\nSecond part.\n\nSECRET-QUOTE\n\nSECRET-END")
    html, text = teaser(body)
    assert "Opening line." in html and "Second part." in text
    assert html.count("<p>") <= 2
    assert "SECRET" not in html + text


def test_teaser_of_markup_without_paragraphs_is_escaped_text():
    body = Article(title="t", html="<div>First &lt;part&gt; &amp; more</div><div>Two</div>"
                                   "<div>SECRET</div>",
                   text="First <part> & more\n\nTwo\n\nSECRET rest")
    html, text = teaser(body)
    assert html.count("<p>") == 2
    assert "&lt;part&gt;" in html and "<part>" not in html
    assert "SECRET" not in html + text


def test_visitor_sees_a_teaser_of_an_article_with_empty_body():
    body = visible_body(AnonymousUser(), Article(title="t", html="", text=""))
    assert body.full is False and body.html == "" and body.text == ""
