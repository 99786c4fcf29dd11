"""When the daily briefing is sent: at the reader's local hour in their own time zone, never
before, once per local day (two workers at once, a failed send retried, a crash, the clocks
changing), and ``broadsheet briefing send [--force]``. Delivered over SMTP to a real server on
127.0.0.1; the schedule is driven with explicit UTC instants."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from briefing_support import news, opt_in, reader, site  # noqa: F401
from django.db import connection
from django.utils import timezone
from smtpfixture import SmtpServer, smtp_server, smtp_settings  # noqa: F401

from broadsheet.cli import main
from broadsheet.curation import briefing as schedule
from broadsheet.curation.models import BriefingDelivery
from broadsheet.web import briefing as sender
from broadsheet.web.briefing import send_due

pytestmark = pytest.mark.django_db

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"

# A Tuesday in December: London is on GMT (UTC+0), New York on EST (UTC-5).
DAY = datetime(2026, 12, 8, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


def every(start: datetime, end: datetime, minutes: int = 5):
    moment = start
    while moment < end:
        yield moment
        moment += timedelta(minutes=minutes)


def recipients(mail) -> list[str]:
    return [address for message in mail.messages for address in message.recipients]


@pytest.fixture
def mail(news, site, smtp_settings):  # noqa: F811
    return smtp_settings


# --- the hour, in the reader's zone -----------------------------------------------------------

def test_each_reader_gets_it_at_their_local_hour_and_not_before(mail):
    london = reader("london@example.org")
    new_york = reader("newyork@example.org")
    opt_in(london, 7, "Europe/London")
    opt_in(new_york, 7, "America/New_York")

    assert send_due(now=at(6, 55)).sent == 0
    assert send_due(now=at(7, 0)).sent == 1
    assert recipients(mail) == ["london@example.org"]
    assert send_due(now=at(11, 55)).sent == 0  # 06:55 in New York
    assert send_due(now=at(12, 0)).sent == 1  # 07:00 in New York
    assert recipients(mail) == ["london@example.org", "newyork@example.org"]
    assert {str(d.local_date) for d in BriefingDelivery.objects.all()} == {"2026-12-08"}


def test_the_local_date_is_the_readers_own(mail):
    tokyo = reader("tokyo@example.org")
    opt_in(tokyo, 7, "Asia/Tokyo")  # UTC+9: 07:00 on the 9th is 22:00 UTC on the 8th
    assert send_due(now=at(21, 55)).sent == 0
    assert send_due(now=at(22, 0)).sent == 1
    [row] = BriefingDelivery.objects.all()
    assert str(row.local_date) == "2026-12-09"
    assert mail.messages[0].subject == "Your Broadsheet briefing for Wednesday 9 December"


def test_opting_in_after_the_window_waits_for_the_next_day(mail):
    late = reader("late@example.org")
    opt_in(late, 7, "Europe/London")
    assert send_due(now=at(20, 0)).sent == 0  # opted in at 20:00 for 07:00: not now
    assert send_due(now=at(7, 0, DAY + timedelta(days=1))).sent == 1


def test_a_worker_that_was_down_at_the_hour_still_sends_within_the_window(mail):
    reader_a = reader("a@example.org")
    reader_b = reader("b@example.org")
    opt_in(reader_a, 7, "Europe/London")
    opt_in(reader_b, 7, "Europe/London")
    assert send_due(now=at(9, 0)).sent == 2  # up again at 09:00
    assert send_due(now=at(9, 5)).sent == 0
    next_day, day_after = DAY + timedelta(days=1), DAY + timedelta(days=2)
    assert schedule.WINDOW_HOURS == 4
    assert send_due(now=at(11, 0, next_day)).sent == 0  # down until 11:00: that day is missed
    assert send_due(now=at(10, 55, day_after)).sent == 2  # 10:55 is still in the window
    assert len(mail.messages) == 4


def test_only_enabled_readers_get_it(mail):
    on = reader("on@example.org")
    off = reader("off@example.org")
    opt_in(on, 7, "Europe/London")
    opt_in(off, 7, "Europe/London")
    schedule.update(off, enabled=False)
    assert send_due(now=at(7)).sent == 1
    assert recipients(mail) == ["on@example.org"]


# --- once a day ---------------------------------------------------------------------------------

def test_a_day_of_runs_every_five_minutes_sends_once_a_day(mail):
    london = reader("london@example.org")
    opt_in(london, 7, "Europe/London")
    sent = [moment for moment in every(DAY, DAY + timedelta(days=2))
            if send_due(now=moment).sent]
    assert sent == [at(7), at(7, 0, DAY + timedelta(days=1))]
    assert len(mail.messages) == 2


# Two worker processes, as on two machines: each finds the same readers due, waits until both
# have, then claims and sends. SQLite is a file here (WAL, as in production), PostgreSQL the
# test database.
WORKER = """
import sys, time
from datetime import datetime
import django
django.setup()
from broadsheet.curation import briefing as schedule
from broadsheet.web.briefing import send_due
now, claim_at = datetime.fromisoformat(sys.argv[1]), float(sys.argv[2])
found_due = schedule.due
def due_then_wait(*args, **kwargs):
    entries = found_due(*args, **kwargs)
    while time.time() < claim_at:
        time.sleep(0.005)
    return entries
schedule.due = due_then_wait
report = send_due(now=now)
print(report.sent, report.skipped, report.failed)
"""

SEED = """
import django
django.setup()
from briefing_support import make_news, opt_in, reader
make_news()
for n in range(4):
    opt_in(reader(f"reader{n}@example.org"), 7, "Europe/London")
"""


def _worker_environ(tmp_path, smtp: SmtpServer) -> dict[str, str]:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.sqlite3"
    else:
        url = (f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
               f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
               f"{settings_dict['NAME']}")
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "broadsheet.config.settings",
            "BROADSHEET_HOME": str(tmp_path), "DATABASE_URL": url, "REDIS_URL": "",
            "BROADSHEET_SMTP_URL": f"smtp://{smtp.host}:{smtp.port}",
            "BROADSHEET_SITE_URL": "https://news.example.org",
            "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)])}


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reader_one_briefing(tmp_path, smtp_server):  # noqa: F811
    environ = _worker_environ(tmp_path, smtp_server)
    if connection.vendor == "sqlite":
        subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=environ,
                       check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", SEED], env=environ, check=True, capture_output=True)
    claim_at = time.time() + 4  # both have started Django and found who is due by then
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, at(7).isoformat(),
                                 str(claim_at)], env=environ, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        reports.append([int(n) for n in out.split()])
    emails = [f"reader{n}@example.org" for n in range(4)]
    assert sorted(recipients(smtp_server)) == emails
    sent, skipped, failed = (sum(column) for column in zip(*reports, strict=True))
    assert (sent, skipped, failed) == (4, 4, 0), reports  # each reader lost by one worker


def test_a_refused_recipient_is_retried_and_then_sent_once(mail):
    picky = reader("picky@example.org")
    opt_in(picky, 7, "Europe/London")
    mail.refuse.add("picky@example.org")
    failed = send_due(now=at(7))
    assert (failed.sent, failed.failed) == (0, 1)
    assert "SMTPRecipientsRefused" in failed.errors[0]
    assert not BriefingDelivery.objects.exists()  # released: the next run tries again
    mail.refuse.clear()
    assert send_due(now=at(7, 5)).sent == 1
    assert send_due(now=at(7, 10)).sent == 0
    assert recipients(mail) == ["picky@example.org"]


def test_a_mail_server_that_is_down_is_retried_and_then_sent_once(news, site,  # noqa: F811
                                                                   smtp_settings):  # noqa: F811
    patient = reader("patient@example.org")
    opt_in(patient, 7, "Europe/London")
    port = smtp_settings.port
    smtp_settings.stop()  # nothing listens there any more
    down = send_due(now=at(7))
    assert (down.sent, down.failed) == (0, 1)
    assert not BriefingDelivery.objects.exists()
    with SmtpServer(port=port) as back:  # the same address, up again
        assert send_due(now=at(7, 5)).sent == 1
        assert send_due(now=at(7, 10)).sent == 0
        assert [m.recipients for m in back.wait_for(1)] == [["patient@example.org"]]


def test_a_connection_dropped_between_emails_is_opened_again(mail, monkeypatch):
    for name in ("first", "second"):
        opt_in(reader(f"{name}@example.org"), 7, "Europe/London")
    restarted: list[SmtpServer] = []
    record_sent = sender.schedule.mark_sent

    def restart_after_the_first(claim, items):
        record_sent(claim, items)
        if not restarted:  # the server restarts, dropping the run's open connection
            mail.stop()
            restarted.append(SmtpServer(port=mail.port).start())

    monkeypatch.setattr(sender.schedule, "mark_sent", restart_after_the_first)
    try:
        report = send_due(now=at(7))
        assert (report.sent, report.failed) == (2, 0), report.errors
        assert len(mail.messages) == 1 and len(restarted[0].wait_for(1)) == 1
    finally:
        for server in restarted:
            server.stop()


def test_a_connection_lost_after_handing_over_is_never_sent_again(mail, monkeypatch):
    unsure = reader("unsure@example.org")
    opt_in(unsure, 7, "Europe/London")

    def lost(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.smtp.EmailBackend.send_messages", lost)
    report = send_due(now=at(7))
    assert report.failed == 1
    [row] = BriefingDelivery.objects.all()
    assert row.handed_at is not None and row.sent_at is None
    assert "SMTPServerDisconnected" in row.error
    monkeypatch.undo()
    assert send_due(now=at(7, 5)).sent == 0  # it may have arrived: at most once
    assert send_due(now=at(10)).sent == 0
    assert mail.messages == []


def test_a_crash_after_sending_does_not_send_twice(mail, monkeypatch):
    crashing = reader("crash@example.org")
    opt_in(crashing, 7, "Europe/London")

    def killed(*args, **kwargs):
        raise SystemExit("worker killed between sending and recording it")

    monkeypatch.setattr(sender.schedule, "mark_sent", killed)
    with pytest.raises(SystemExit):
        send_due(now=at(7))
    monkeypatch.undo()
    assert len(mail.wait_for(1)) == 1
    for moment in every(at(7, 5), at(11)):
        assert send_due(now=moment).sent == 0
    assert len(mail.messages) == 1


def test_a_claim_whose_worker_died_before_sending_is_sent_later(mail):
    orphan = reader("orphan@example.org")
    opt_in(orphan, 7, "Europe/London")
    # A worker claimed it at 07:00 and died before handing it to the mail server.
    BriefingDelivery.objects.create(user=orphan, local_date=DAY.date(), claimed_at=at(7))
    assert send_due(now=at(7, 10)).skipped == 1  # perhaps still being made: left alone
    assert send_due(now=at(7, 20)).sent == 1  # abandoned: released and sent
    assert send_due(now=at(7, 45)).sent == 0
    assert recipients(mail) == ["orphan@example.org"]


def test_a_worker_whose_claim_was_taken_away_does_not_send(mail):
    slow = reader("slow@example.org")
    claim = schedule.claim(slow, DAY.date(), at(7))
    assert schedule.release_abandoned(at(7, 20)) == 1  # another worker gave up on it
    again = schedule.claim(slow, DAY.date(), at(7, 20))
    assert again is not None and again.pk != claim.pk and again.claimed_at == at(7, 20)
    assert schedule.hand_over(claim) is False  # the slow worker must not send it


# --- the clocks change (Europe/London, 2026) ----------------------------------------------------

def test_spring_forward_skipping_the_chosen_hour_still_sends_that_day(mail):
    # 29 March 2026: at 01:00 GMT the clocks go to 02:00 BST; 01:xx never happens.
    early = reader("early@example.org")
    opt_in(early, 1, "Europe/London")
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    sent = [moment for moment in every(start, start + timedelta(days=2))
            if send_due(now=moment).sent]
    assert sent == [datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 02:00 BST
                    datetime(2026, 3, 30, 0, 0, tzinfo=UTC)]  # 01:00 BST the next day
    assert [str(d.local_date) for d in BriefingDelivery.objects.order_by("local_date")] == \
        ["2026-03-29", "2026-03-30"]


def test_fall_back_repeating_the_chosen_hour_never_sends_twice(mail):
    # 25 October 2026: at 02:00 BST the clocks go back to 01:00 GMT; 01:xx happens twice.
    twice = reader("twice@example.org")
    seven = reader("seven@example.org")
    opt_in(twice, 1, "Europe/London")
    opt_in(seven, 7, "Europe/London")
    start = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    sent: dict[str, list[datetime]] = {}
    for moment in every(start, start + timedelta(days=1, hours=12)):
        before = len(mail.messages)
        count = send_due(now=moment).sent
        for message in mail.wait_for(before + count)[before:]:
            sent.setdefault(message.recipients[0], []).append(moment)
    assert sent["twice@example.org"] == [datetime(2026, 10, 25, 0, 0, tzinfo=UTC)]  # 01:00 BST
    assert sent["seven@example.org"] == [datetime(2026, 10, 25, 7, 0, tzinfo=UTC)]  # 07:00 GMT
    assert len(mail.messages) == 2


# --- the command --------------------------------------------------------------------------------

def off_hour() -> int:
    """A chosen hour whose window is far from London's hour now."""
    return (timezone.now().astimezone(schedule.zone_named("Europe/London")).hour + 12) % 24


def test_send_without_force_waits_for_the_hour(mail, capsys):
    opt_in(reader("waiting@example.org"), off_hour(), "Europe/London")
    assert main(["briefing", "send"]) == 0
    assert "Daily briefing: 0 sent, 0 skipped, 0 failed." in capsys.readouterr().out
    assert mail.messages == []


def test_force_ignores_the_hour_but_never_sends_twice_in_a_day(mail, capsys):
    forced = reader("forced@example.org")
    opt_in(forced, off_hour(), "Europe/London")
    assert main(["briefing", "send", "--force"]) == 0
    assert "Daily briefing: 1 sent, 0 skipped, 0 failed." in capsys.readouterr().out
    assert main(["briefing", "send", "--force"]) == 0
    assert "Daily briefing: 0 sent, 1 skipped, 0 failed." in capsys.readouterr().out
    assert recipients(mail) == ["forced@example.org"]


def test_the_command_fails_when_a_briefing_could_not_be_sent(mail, capsys):
    refused = reader("refused@example.org")
    opt_in(refused, off_hour(), "Europe/London")
    mail.refuse.add("refused@example.org")
    assert main(["briefing", "send", "--force"]) == 1
    out, err = capsys.readouterr()
    assert "Daily briefing: 0 sent, 0 skipped, 1 failed." in out
    assert f"user {refused.pk}: SMTPRecipientsRefused" in err


def test_the_periodic_task_sends_what_is_due(mail):
    from broadsheet.web.tasks import send_briefings

    runs_at = send_briefings.task_class().validate_datetime
    assert runs_at(datetime(2026, 12, 8, 7, 5)) and not runs_at(datetime(2026, 12, 8, 7, 7))
    opt_in(reader("task@example.org"), off_hour(), "Europe/London")
    assert send_briefings.call_local() == "0 sent, 0 skipped, 0 failed"
