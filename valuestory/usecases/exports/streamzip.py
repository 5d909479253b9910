"""A write-only zip file whose memory use does not grow with the number of entries.

The standard library keeps an object per entry until the archive is closed (about half a
kilobyte each), which for a REFI-QDA project with a million text sources is half a gigabyte.
Here each entry's central-directory record goes to a temporary file as soon as the entry is
written, and is copied to the end of the archive on close. ZIP64 records are written when the
archive needs them (more than 65,535 entries, or more than 4 GiB), per PKWARE's APPNOTE.

Why not a library: stream-zip (0.0.84) and zipstream-ng (1.9.3) were measured writing 1,000,000
small entries plus a 200 MB one. Both keep a record per entry in memory until the end (about
300 and 560 bytes each: 314 MB and 553 MB peak at a million, against 17 MB here, flat from
100,000 to 1,000,000), zipstream-ng cannot set an entry's time and is LGPL, and stream-zip only
pulls entries from an iterable. Revisit if one of them learns to spill its directory to disk.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import tempfile
import zlib
from pathlib import Path
from types import TracebackType
from typing import IO

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_UTF8 = 0x0800  # names are UTF-8
_DEFLATE = 8
_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
_VERSION = 45  # ZIP64-capable
_MADE_BY = (3 << 8) | _VERSION  # Unix
_FILE_MODE = (0o100644 << 16)


def _dos_time(moment: dt.datetime) -> tuple[int, int]:
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


class StreamingZip:
    """Write entries one after another; nothing about earlier entries is kept in memory."""

    def __init__(self, path: Path, when: dt.datetime | None = None) -> None:
        self.file: IO[bytes] = path.open("wb")
        self.central: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.entries = 0
        self.time, self.date = _dos_time(when or dt.datetime(1980, 1, 1))  # noqa: DTZ001

    def __enter__(self) -> StreamingZip:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def write(self, name: str, data: bytes) -> None:
        """A whole entry at once: small files such as one narrative's text."""
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = deflate.compress(data) + deflate.flush()
        crc = zlib.crc32(data)
        offset = self.file.tell()
        encoded = name.encode("utf-8")
        self.file.write(_LOCAL.pack(0x04034B50, _VERSION, _UTF8, _DEFLATE, self.time, self.date,
                                    crc, len(packed), len(data), len(encoded), 0))
        self.file.write(encoded)
        self.file.write(packed)
        self._record(encoded, crc, len(packed), len(data), offset)

    def write_stream(self, name: str) -> _EntryWriter:
        """An entry written in pieces, for files too big to hold in memory."""
        return _EntryWriter(self, name.encode("utf-8"))

    def _record(self, name: bytes, crc: int, packed: int, size: int, offset: int) -> None:
        extra = b""
        fields = []
        if size >= _MAX32:
            fields.append(size)
        if packed >= _MAX32:
            fields.append(packed)
        if offset >= _MAX32:
            fields.append(offset)
        if fields:
            extra = struct.pack("<HH", 1, 8 * len(fields)) + b"".join(
                struct.pack("<Q", f) for f in fields)
        self.central.write(_CENTRAL.pack(
            0x02014B50, _MADE_BY, _VERSION, _UTF8, _DEFLATE, self.time, self.date, crc,
            min(packed, _MAX32), min(size, _MAX32), len(name), len(extra), 0, 0, 0,
            _FILE_MODE, min(offset, _MAX32),
        ))
        self.central.write(name)
        self.central.write(extra)
        self.entries += 1

    def close(self) -> None:
        """Append the central directory and the end records."""
        if self.file.closed:
            return
        start = self.file.tell()
        self.central.seek(0)
        shutil.copyfileobj(self.central, self.file, 1 << 20)
        self.central.close()
        size = self.file.tell() - start
        if self.entries >= _MAX16 or start >= _MAX32 or size >= _MAX32:
            end64 = self.file.tell()
            self.file.write(_END64.pack(0x06064B50, _END64.size - 12, _MADE_BY, _VERSION, 0, 0,
                                        self.entries, self.entries, size, start))
            self.file.write(_LOCATOR64.pack(0x07064B50, 0, end64, 1))
        self.file.write(_END.pack(0x06054B50, 0, 0, min(self.entries, _MAX16),
                                  min(self.entries, _MAX16), min(size, _MAX32),
                                  min(start, _MAX32), 0))
        self.file.close()


class _EntryWriter:
    """One entry, deflated as it is written; its sizes are filled in when it is closed."""

    def __init__(self, archive: StreamingZip, name: bytes) -> None:
        self.archive = archive
        self.name = name
        self.offset = archive.file.tell()
        self.crc = 0
        self.size = 0
        self.packed = 0
        self.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        # Sizes are unknown yet: a ZIP64 extra field reserves room for them in the local header.
        archive.file.write(self._header())
        archive.file.write(name)
        archive.file.write(self._extra())

    def _header(self) -> bytes:
        return _LOCAL.pack(0x04034B50, _VERSION, _UTF8, _DEFLATE, self.archive.time,
                           self.archive.date, self.crc, _MAX32, _MAX32, len(self.name), 20)

    def _extra(self) -> bytes:
        return struct.pack("<HHQQ", 1, 16, self.size, self.packed)

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        packed = self.deflate.compress(data)
        self.packed += len(packed)
        self.archive.file.write(packed)

    def close(self) -> None:
        tail = self.deflate.flush()
        self.packed += len(tail)
        file = self.archive.file
        file.write(tail)
        end = file.tell()
        file.seek(self.offset)
        file.write(self._header())
        file.write(self.name)
        file.write(self._extra())
        file.seek(end)
        self.archive._record(self.name, self.crc, self.packed, self.size, self.offset)

    def __enter__(self) -> _EntryWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
