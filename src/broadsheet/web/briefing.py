"""The daily briefing email: what it holds, how it reads, and sending the briefings now due.

It is a surface like the home page, so it lives here beside the pages: Top stories, the
reader's For you (each with its reason) and Our Picks, no story twice. Every item is a
headline, its outlet, one line of summary and a link to the article's page on this site, where
the paywall decides what the reader sees; the line is never more than the article's summary
or teaser shows. When it is due and how it goes out once a day is ``curation.briefing``.

``send_due`` is called by the periodic task (``web.tasks.send_briefings``) and by
``broadsheet briefing send``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.articles.teaser import teaser
from broadsheet.curation import briefing as schedule
from broadsheet.curation import picks
from broadsheet.curation.foryou import for_you

from .links import article_path
from .queries import ShownPick, as_cards, home_top_stories

log = logging.getLogger("broadsheet.briefing")

TOP_COUNT = 5
FOR_YOU_COUNT = 5
PICKS_COUNT = 3
LINE_CHARS = 200  # the one-line summary
# Refusals: the mail server said no, so nothing was delivered and the briefing is tried again.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- what it holds ----------------------------------------------------------------------------

@dataclass
class Item:
    """One line of the briefing."""

    article: Article
    title: str
    outlet: str
    summary: str
    url: str
    reason: str = ""  # For you: why it is there
    story_id: int | None = None


@dataclass
class Content:
    top: list[Item]
    for_you: list[Item]
    picks: list[Item]

    @property
    def items(self) -> list[Item]:
        return [*self.top, *self.for_you, *self.picks]

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class Shared:
    """What every reader's briefing has in common in one run: Our Picks and Top stories."""

    picks: list[ShownPick]
    top: list[Article]
    _teasers: dict[int, str] = field(default_factory=dict)

    @classmethod
    def now(cls) -> Shared:
        chosen = as_cards(picks.live(None))[:PICKS_COUNT]
        picked = {_story_key(p.article) for p in chosen}
        top = [a for a in home_top_stories(limit=TOP_COUNT + len(chosen))
               if _story_key(a) not in picked][:TOP_COUNT]
        return cls(chosen, top)

    def summary_of(self, article: Article) -> str:
        """One line: the article's own summary, else its teaser, cut to a sentence."""
        if article.summary.strip():
            return one_line(article.summary)
        if article.pk not in self._teasers:
            body = Article.objects.only("id", "text", "html").get(pk=article.pk)
            self._teasers[article.pk] = one_line(teaser(body)[1])
        return self._teasers[article.pk]


def _story_key(article: Article) -> tuple[str, int]:
    return ("story", article.story_id) if article.story_id else ("article", article.pk)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]?\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """The first sentence of ``text``, at most ``limit`` characters (cut at a word, with …)."""
    text = " ".join((text or "").split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    if len(first) <= limit:
        return first
    return first[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def _item(shared: Shared, article: Article, title: str | None = None, reason: str = "",
          summary: str | None = None) -> Item:
    return Item(article=article, title=title or article.title, outlet=article.publisher.name,
                summary=summary if summary is not None else shared.summary_of(article),
                url=site_link(article_path(article)), reason=reason,
                story_id=article.story_id)


def gather(user, shared: Shared | None = None) -> Content:
    """The reader's briefing now: Top stories, For you with reasons, Our Picks; no story twice
    (an editor's pick stands, then Top stories, then For you)."""
    shared = shared or Shared.now()
    shown = {_story_key(p.article) for p in shared.picks} | {_story_key(a) for a in shared.top}
    mine = []
    for entry in for_you(user, limit=FOR_YOU_COUNT + len(shown)):
        key = ("story", entry.story.pk) if entry.story else _story_key(entry.article)
        if key in shown or _story_key(entry.article) in shown:
            continue
        shown.add(key)
        mine.append(_item(shared, entry.article, reason=entry.reason.text))
        if len(mine) == FOR_YOU_COUNT:
            break
    return Content(
        top=[_item(shared, a) for a in shared.top],
        for_you=mine,
        picks=[_item(shared, p.article, title=p.title,
                     summary=one_line(p.pick.note) if p.pick.note else None)
               for p in shared.picks],
    )


# --- how it reads -----------------------------------------------------------------------------

def subject_for(day: date) -> str:
    return f"Your Broadsheet briefing for {day:%A} {day.day} {day:%B}"


def unsubscribe_url(user) -> str:
    return site_link(reverse("briefing_unsubscribe", args=[schedule.unsubscribe_token(user)]))


def message(user, content: Content, day: date, connection=None) -> EmailMultiAlternatives:
    """The email: a text and an HTML part, with one-click unsubscribe headers (RFC 8058)."""
    unsubscribe = unsubscribe_url(user)
    context = {
        "user": user, "day": day, "subject": subject_for(day), "content": content,
        "sections": [("Top stories", content.top), ("For you", content.for_you),
                     ("Our Picks", content.picks)],
        "unsubscribe_url": unsubscribe, "account_url": site_link(reverse("account")),
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    email = EmailMultiAlternatives(
        subject_for(day), render_to_string("web/emails/briefing.txt", context), None,
        [user.email], connection=connection,
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    email.attach_alternative(render_to_string("web/emails/briefing.html", context), "text/html")
    return email


# --- sending what is due ----------------------------------------------------------------------

@dataclass
class Report:
    """What one run did: briefings sent, readers skipped (sent already today, claimed by
    another worker, nothing to send) and failures (with their reasons)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.skipped} skipped, {self.failed} failed"


class _Mailer:
    """One connection to the mail server for the run, opened when first needed, checked before
    each email (a server may drop an idle connection) and opened again after a failure.

    Whatever fails here fails before an email is handed over, so it is safe to try again.
    """

    def __init__(self) -> None:
        self.connection = None

    def open(self):
        if self.connection is not None and not self._alive():
            self.reset()
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self.connection = connection
        return self.connection

    def _alive(self) -> bool:
        smtp = getattr(self.connection, "connection", None)
        if smtp is None or not hasattr(smtp, "noop"):
            return True  # not SMTP (files, memory): nothing to go stale
        try:
            return smtp.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    def reset(self) -> None:
        if self.connection is not None:
            # A broken connection may fail to close; it is dropped anyway.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def send_due(now: datetime | None = None, force: bool = False) -> Report:
    """Send every briefing due at ``now`` (every enabled reader's with ``force``), once per
    reader and local day however many workers run this at once.

    ``now`` decides whose briefing is due and for which local date; the content is always
    the latest. A refusal or an unreachable mail server releases the claim (the next run sends
    it); a connection lost after the email was handed over does not (it may have arrived).
    """
    now = now or timezone.now()
    report = Report()
    shared: Shared | None = None  # worked out once, when the first briefing is to be made
    mailer = _Mailer()
    try:
        for entry in schedule.due(now, force=force):
            if entry.claimed:
                report.skipped += 1
                continue
            shared = shared or Shared.now()
            _send_one(entry, now, shared, mailer, report)
    finally:
        mailer.reset()
    if report.sent or report.failed:
        log.info("daily briefing: %s", report)
    return report


def _send_one(entry: schedule.Due, now: datetime, shared: Shared, mailer: _Mailer,
              report: Report) -> None:
    user = entry.briefing.user
    claim = schedule.claim(user, entry.local_date, now)
    if claim is None:  # another worker has it
        report.skipped += 1
        return
    try:
        content = gather(user, shared)
        if not content.items:
            schedule.release(claim)
            report.skipped += 1
            return
        email = message(user, content, entry.local_date)
        connection = mailer.open()
    except Exception as error:  # nothing was sent: let the next run try again
        schedule.release(claim)
        mailer.reset()
        _failed(report, user, error)
        return
    if not schedule.hand_over(claim):  # released as abandoned meanwhile; another worker has it
        report.skipped += 1
        return
    try:
        connection.send_messages([email])
    except REFUSED as error:  # the server said no: nothing was delivered
        schedule.release(claim)
        mailer.reset()
        _failed(report, user, error)
        return
    except Exception as error:  # lost mid-send: it may have arrived, so never again today
        mailer.reset()
        schedule.mark_unsure(claim, f"{type(error).__name__}: {error}")
        _failed(report, user, error)
        return
    schedule.mark_sent(claim, len(content))
    report.sent += 1


def _failed(report: Report, user, error: Exception) -> None:
    report.failed += 1
    report.errors.append(f"user {user.pk}: {type(error).__name__}: {error}")
    log.warning("daily briefing for user %s not sent: %s", user.pk, error)
