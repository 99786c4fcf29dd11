"""When each source is checked next: publishing frequency, server hints, backoff."""

from datetime import UTC, datetime, timedelta

from broadsheet.sources.schedule import (
    ScheduleBounds,
    plan_after_error,
    plan_after_success,
    publishing_interval,
    server_delay,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BOUNDS = ScheduleBounds(min_interval=300, max_interval=86_400, failing_after=5)


def every(minutes: int, count: int = 10) -> list[datetime]:
    return [NOW - timedelta(minutes=minutes * i) for i in range(count)]


def test_busy_feed_is_checked_at_half_its_publishing_gap():
    assert publishing_interval(every(60), BOUNDS) == 1800


def test_interval_is_bounded_both_ways():
    assert publishing_interval(every(1), BOUNDS) == 300
    assert publishing_interval(every(60 * 24 * 7), BOUNDS) == 86_400


def test_too_few_dates_tell_nothing():
    assert publishing_interval([NOW], BOUNDS) is None


def test_quiet_source_drifts_towards_the_maximum_on_304():
    plan = plan_after_success(NOW, 3600, [], {}, BOUNDS, not_modified=True)
    assert plan.interval_seconds == 4500


def test_cache_control_max_age_is_honoured():
    plan = plan_after_success(NOW, 600, every(10), {"cache-control": "public, max-age=7200"},
                              BOUNDS)
    assert plan.next_check_at >= NOW + timedelta(seconds=7200)


def test_expires_is_honoured():
    expires = (NOW + timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 3 * 3600 - 1 <= server_delay({"expires": expires}, NOW) <= 3 * 3600 + 1


def test_errors_back_off_exponentially_up_to_the_maximum():
    delays = [(plan_after_error(NOW, 3600, n, None, BOUNDS).next_check_at - NOW).total_seconds()
              for n in (1, 2, 3, 10)]
    assert 300 <= delays[0] < 330
    assert 600 <= delays[1] < 660
    assert 1200 <= delays[2] < 1300
    assert 86_400 <= delays[3] <= 86_400 * 1.05


def test_retry_after_is_honoured_on_error():
    plan = plan_after_error(NOW, 3600, 1, 5000.0, BOUNDS)
    assert plan.next_check_at >= NOW + timedelta(seconds=5000)


def test_feed_ttl_is_honoured():
    plan = plan_after_success(NOW, 600, every(10), {}, BOUNDS, feed_ttl=3600)
    assert plan.next_check_at >= NOW + timedelta(seconds=3600)
