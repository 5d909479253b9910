"""The streaming zip behind .qdpx files is a zip any reader opens, however many entries it has."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from valuestory.usecases.exports.streamzip import StreamingZip


def test_many_entries_and_a_streamed_one_read_back_intact(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    count = 70_000  # past the 65,535 entries a zip holds without ZIP64 records
    with StreamingZip(path, dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)) as archive:
        for i in range(count):
            archive.write(f"sources/{i}.txt", f"narrative {i} 🎉 مرحبا".encode())
        with archive.write_stream("project.qde") as entry:
            for _ in range(50):
                entry.write(b"<Chunk>" + b"x" * 100_000 + b"</Chunk>\n")

    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every entry's checksum matches
        names = z.namelist()
        assert len(names) == count + 1
        assert z.read("sources/69999.txt").decode() == "narrative 69999 🎉 مرحبا"
        qde = z.getinfo("project.qde")
        assert qde.file_size == 50 * (100_000 + 16)
        assert qde.date_time == (2026, 11, 26, 9, 30, 0)
        assert z.read("project.qde").count(b"<Chunk>") == 50


def test_an_empty_archive_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    StreamingZip(path).close()
    with zipfile.ZipFile(path) as z:
        assert z.namelist() == []
