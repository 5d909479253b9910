"""/matrix: the matrix for a period a convener typed, as text and then as a picture.

A period that can't be read changes nothing and gets the usage line.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from flows import i18n, texts
from storage.db import Database
from storage.models import Community
from valuestory.usecases import speaking
from valuestory.usecases.matrix.build import build_matrix
from valuestory.usecases.matrix.period import PeriodError, parse_period
from valuestory.usecases.matrix.picture import render_png
from valuestory.usecases.matrix.text import render_text
from valuestory.usecases.out import Out


async def show(db: Database, community: Community, arg: str,
               now: dt.datetime | None = None, *, language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/matrix [period]: the matrix as text, then as a picture, in the convener's `language`."""
    now = now or dt.datetime.now(dt.UTC)
    t = texts.In(language)
    try:
        period = parse_period(arg, community.timezone, now)
    except PeriodError:
        return [Out(t.MATRIX_USAGE)]
    async with db.long_read() as session:  # a year's matrix: off the loop's thread
        built = await build_matrix(session, community, period, now)
    png = await asyncio.to_thread(render_png, built, language)
    return [Out(render_text(built, language)),
            Out(t.MATRIX_CAPTION.format(community=speaking.value(language, built.community),
                                        period=speaking.value(language, period.said(language))),
                photo=png)]
