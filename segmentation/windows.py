"""Window arithmetic of DESIGN §3: local dates in TIME_ZONE, months with the day clamped to the month's end."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings


def months_before(day: dt.date, months: int) -> dt.date:
    """`day − months` with the day clamped to the month's end (2021-03-31 − 1 month = 2021-02-28)."""
    return day - relativedelta(months=months)


def local_midnight(day: dt.date) -> dt.datetime:
    """The aware instant at which the local date `day` begins in TIME_ZONE."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


@dataclass(frozen=True)
class Windows:
    """Half-open instants [start, end) of the window (as_of − W, as_of] and the previous window."""

    as_of: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    previous_start: dt.datetime

    @classmethod
    def for_run(cls, *, as_of: dt.date, window_months: int) -> Windows:
        # Local dates (d0, d1] are the instants [midnight after d0, midnight after d1).
        one_day = dt.timedelta(days=1)
        return cls(
            as_of=as_of,
            window_start=local_midnight(months_before(as_of, window_months) + one_day),
            window_end=local_midnight(as_of + one_day),
            previous_start=local_midnight(months_before(as_of, 2 * window_months) + one_day),
        )
