"""/matrix: the matrix for a period a convener typed, as text and then as a picture.

A period that can't be read changes nothing and gets the usage line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html

from flows import texts
from storage.db import Database
from storage.models import Community
from valuestory.usecases.matrix.build import build_matrix
from valuestory.usecases.matrix.period import PeriodError, parse_period
from valuestory.usecases.matrix.picture import render_png
from valuestory.usecases.matrix.text import render_text
from valuestory.usecases.out import Out


async def show(db: Database, community: Community, arg: str,
               now: dt.datetime | None = None) -> list[Out]:
    """/matrix [period]: the matrix as text, then as a picture."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        period = parse_period(arg, community.timezone, now)
    except PeriodError:
        return [Out(texts.MATRIX_USAGE)]
    async with db.long_read() as session:  # a year's matrix: off the loop's thread
        built = await build_matrix(session, community, period, now)
    png = await asyncio.to_thread(render_png, built)
    return [Out(render_text(built)),
            Out(texts.MATRIX_CAPTION.format(community=html.escape(built.community),
                                            period=html.escape(period.label)), photo=png)]
