"""Pseudonymised exports of narratives for researchers: CSV, XLSX, JSON Lines and REFI-QDA.

One streaming query (`queries`) feeds every writer (`writers`, `refiqda`), so memory stays flat
however many narratives there are. An export carries a member's pseudonym for the community,
never a Telegram id, name or username; members who withdrew are absent because their narratives
and membership no longer exist. `run` runs one and records it in the audit log; `chat` is
/export as typed in a chat.
"""

from valuestory.usecases.exports.chat import (
    ExportRequest,
    for_chat,
    format_pressed,
    narrow,
    parse_request,
)
from valuestory.usecases.exports.queries import LocalTimes, count, stream_rows
from valuestory.usecases.exports.run import (
    ExportResult,
    audit_entries,
    choose,
    export,
    for_dashboard,
    write_export,
)
from valuestory.usecases.exports.shape import (
    COLUMNS,
    SUFFIX,
    ExportError,
    ExportFilter,
    ExportFormat,
    UntilBeforeSince,
    make_filter,
    parse_cycle,
    parse_date,
    parse_format,
)
from valuestory.usecases.exports.writers import neutralise

__all__ = [
    "COLUMNS",
    "SUFFIX",
    "ExportError",
    "ExportFilter",
    "ExportFormat",
    "ExportRequest",
    "ExportResult",
    "LocalTimes",
    "UntilBeforeSince",
    "audit_entries",
    "choose",
    "count",
    "export",
    "for_chat",
    "for_dashboard",
    "format_pressed",
    "make_filter",
    "narrow",
    "neutralise",
    "parse_cycle",
    "parse_date",
    "parse_format",
    "parse_request",
    "stream_rows",
    "write_export",
]
