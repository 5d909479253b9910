"""valuestory.voice stands alone: the bot uses it, it uses nothing of the bot's."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import valuestory.voice

PACKAGE = Path(valuestory.voice.__file__).parent
OURS = ("valuestory", "bot", "flows", "storage", "tests", "bench")


def test_voice_package_imports_nothing_else_of_the_project() -> None:
    strays = []
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            strays += [f"{source.name}: {n}" for n in names
                       if n.split(".")[0] in OURS and not n.startswith("valuestory.voice")]
    assert not strays


def test_importing_the_voice_package_loads_no_speech_engine() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, valuestory.voice; "
         "print(sorted(m for m in ('av', 'pocketsphinx', 'faster_whisper', 'numpy') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]"
