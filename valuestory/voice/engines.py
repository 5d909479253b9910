"""Speech engines: what hears 16 kHz PCM and says the words.

Invariant: an `Engine` is a small frozen description (which engine, which model) that is cheap to
build, checks at once that what it needs is installed, and can be sent to a worker process; the heavy
model is only loaded there, by `Engine.load()`, so the bot's own process never holds it.
"""

from __future__ import annotations

import importlib.util
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from valuestory.voice.decode import SAMPLE_RATE
from valuestory.voice.errors import EngineMissing

logger = logging.getLogger(__name__)

ENGINE_NAMES = ("pocketsphinx", "whisper")


class Recogniser(Protocol):
    """A loaded model; used by one thread at a time."""

    def transcribe(self, pcm: bytes, language: str | None) -> str: ...


class Engine(Protocol):
    """Which engine and model; frozen and hashable, so it can be sent to and cached in a worker."""

    @property
    def name(self) -> str: ...

    def supports(self, language: str | None) -> bool: ...

    def load(self) -> Recogniser: ...


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


def _primary(language: str | None) -> str | None:
    return language.replace("_", "-").split("-")[0].lower() if language else None


@dataclass(frozen=True)
class PocketsphinxEngine:
    """Offline US-English recognition with the model inside the pocketsphinx wheel."""

    name: str = "pocketsphinx"

    def __post_init__(self) -> None:
        missing = [m for m in ("pocketsphinx", "av") if not _installed(m)]
        if missing:
            raise EngineMissing(
                f"{' and '.join(missing)} not installed; install valuestory[voice] to transcribe voice notes"
            )

    def supports(self, language: str | None) -> bool:
        return _primary(language) in (None, "en")

    def load(self) -> Recogniser:
        return _SphinxRecogniser()


class _SphinxRecogniser:
    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")

    def transcribe(self, pcm: bytes, language: str | None) -> str:
        from pocketsphinx import Segmenter

        # Decoding one pause-delimited utterance at a time keeps each search, and its memory, short.
        words: list[str] = []
        for segment in Segmenter(sample_rate=SAMPLE_RATE).segment(io.BytesIO(pcm)):
            self._decoder.start_utt()
            self._decoder.process_raw(segment.pcm, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            if hyp is not None and hyp.hypstr:
                words.append(hyp.hypstr)
        return " ".join(words)


@dataclass(frozen=True)
class WhisperEngine:
    """faster-whisper with a CTranslate2 model the deployer downloaded into `model_dir`."""

    model_dir: Path
    compute_type: str = "int8"
    cpu_threads: int = 0  # faster-whisper's own default
    name: str = "whisper"

    def __post_init__(self) -> None:
        # The folder first: what to fix is the same whether or not the package is installed yet.
        if not self.model_dir.is_dir():
            raise EngineMissing(f"VOICE_MODEL_DIR {str(self.model_dir)!r} is not a folder; "
                                "VOICE_ENGINE=whisper needs a downloaded faster-whisper model there")
        if not _installed("faster_whisper"):
            raise EngineMissing(
                "faster-whisper not installed; install valuestory[whisper] for VOICE_ENGINE=whisper"
            )
        absent = [f for f in ("model.bin", "config.json") if not (self.model_dir / f).is_file()]
        if absent:
            raise EngineMissing(
                f"VOICE_MODEL_DIR {str(self.model_dir)!r} is not a faster-whisper model: "
                f"{', '.join(absent)} missing"
            )

    def supports(self, language: str | None) -> bool:
        return True  # multilingual models; an English-only one still answers, in English

    def load(self) -> Recogniser:
        return _WhisperRecogniser(self)


class _WhisperRecogniser:
    def __init__(self, engine: WhisperEngine) -> None:
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(
                str(engine.model_dir), device="cpu", compute_type=engine.compute_type,
                cpu_threads=engine.cpu_threads, local_files_only=True,
            )
        except Exception as exc:  # CTranslate2 says what is wrong in many ways; all mean "no engine"
            raise EngineMissing(
                f"could not load the faster-whisper model in VOICE_MODEL_DIR: {type(exc).__name__}: {exc}"
            ) from None

    def transcribe(self, pcm: bytes, language: str | None) -> str:
        import numpy as np

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        segments, _info = self._model.transcribe(
            audio, language=_primary(language), beam_size=5, vad_filter=True,
            condition_on_previous_text=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()


def engine_from_settings(name: str | None, model_dir: str | Path | None = None) -> Engine:
    """The engine `VOICE_ENGINE` names (pocketsphinx when unset); `EngineMissing` says why there is none."""
    chosen = (name or "pocketsphinx").strip().lower()
    if chosen == "pocketsphinx":
        return PocketsphinxEngine()
    if chosen == "whisper":
        if not model_dir:
            raise EngineMissing(
                "VOICE_ENGINE=whisper needs VOICE_MODEL_DIR, the folder of a faster-whisper model"
            )
        return WhisperEngine(Path(model_dir).expanduser())
    raise ValueError(f"VOICE_ENGINE must be one of {', '.join(ENGINE_NAMES)}, not {name!r}")


def available(name: str | None = None, model_dir: str | Path | None = None) -> bool:
    """Whether voice notes can be transcribed with these settings; `engine_from_settings` says why not."""
    try:
        engine_from_settings(name, model_dir)
    except EngineMissing as exc:
        logger.debug("no speech engine: %s", exc)
        return False
    return True
