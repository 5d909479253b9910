"""Voice notes to text, offline: decode any audio FFmpeg reads, transcribe it in a worker process.

Invariant: this package stands alone (it imports nothing else of valuestory) and never holds up the
caller's event loop: decoding and recognition happen only in `Transcriber`'s worker processes. A note
is refused, with its own error, before transcription when it is too large (`TooLarge`), too long
(`TooLong`), not audio (`Undecodable`), or when no engine can hear it (`EngineMissing`). Importing it
needs none of the speech packages; `available()` says whether they are there.

    engine = engine_from_settings(settings.voice_engine, settings.voice_model_dir)
    async with Transcriber(engine) as transcriber:
        transcript = await transcriber.transcribe(ogg_bytes, language="en")
"""

from valuestory.voice.decode import SAMPLE_RATE, Limits, Pcm, duration, to_pcm
from valuestory.voice.engines import (
    ENGINE_NAMES,
    Engine,
    PocketsphinxEngine,
    Recogniser,
    WhisperEngine,
    available,
    engine_from_settings,
)
from valuestory.voice.errors import (
    EngineMissing,
    TooLarge,
    TooLong,
    TranscriptionFailed,
    Undecodable,
    UnsupportedLanguage,
    VoiceError,
)
from valuestory.voice.worker import Transcriber, Transcript

__all__ = [
    "ENGINE_NAMES",
    "SAMPLE_RATE",
    "Engine",
    "EngineMissing",
    "Limits",
    "Pcm",
    "PocketsphinxEngine",
    "Recogniser",
    "TooLarge",
    "TooLong",
    "Transcriber",
    "Transcript",
    "TranscriptionFailed",
    "Undecodable",
    "UnsupportedLanguage",
    "VoiceError",
    "WhisperEngine",
    "available",
    "duration",
    "engine_from_settings",
    "to_pcm",
]
