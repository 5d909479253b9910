"""Export times are read in the community's zone, whatever the zone's offset or the time of year."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from valuestory.usecases.exports import LocalTimes

# Whole-hour zones with and without summer time, half- and three-quarter-hour zones, and zones
# whose summer time moves them by half an hour or changes at a half hour.
ZONES = [ZoneInfo(name) for name in (
    "UTC", "Europe/London", "Pacific/Auckland", "America/New_York", "Asia/Kolkata",
    "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham",
    "Australia/Adelaide", "Asia/Tehran", "America/Sao_Paulo",
)]


def stored(moment: dt.datetime) -> str:
    """A UTC timestamp as SQLite keeps it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def expected(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def test_every_hour_of_a_year_reads_as_the_zone_shows_it_across_each_change_of_clocks() -> None:
    local = LocalTimes()
    for zone in ZONES:
        moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        while moment.year == 2025:
            assert local(stored(moment), zone) == expected(moment, zone), (zone, moment)
            moment += dt.timedelta(minutes=17, seconds=29)


# Hypothesis takes naive bounds and makes aware moments from them with `timezones`.
EARLIEST = dt.datetime(1970, 1, 1)  # noqa: DTZ001
LATEST = dt.datetime(2099, 12, 31)  # noqa: DTZ001


@given(moment=st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(dt.UTC)),
       zone=st.sampled_from(ZONES))
def test_any_moment_reads_the_same_from_sqlite_text_and_from_a_datetime(
    moment: dt.datetime, zone: ZoneInfo
) -> None:
    local = LocalTimes()
    assert local(stored(moment), zone) == expected(moment, zone)
    assert local(moment, zone) == expected(moment, zone)
