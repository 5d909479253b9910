"""Why a voice note was not transcribed: one exception per reason, so the bot can say which.

Every error carries only a message string, so it survives the trip back from the worker process.
"""

from __future__ import annotations


class VoiceError(Exception):
    """A voice note could not be turned into text."""


class TooLong(VoiceError):
    """The note lasts longer than the limit; refused before any transcription."""


class TooLarge(VoiceError):
    """The file is larger than the limit (Telegram lets a bot download 20 MB); refused unread."""


class Undecodable(VoiceError):
    """The bytes are not audio that can be decoded, or hold no sound at all."""


class EngineMissing(VoiceError):
    """No speech engine is installed or configured, so voice notes cannot be transcribed at all."""


class UnsupportedLanguage(EngineMissing):
    """The engine is there, but it cannot hear this language."""


class TranscriptionFailed(VoiceError):
    """The worker stopped while transcribing (it was killed, or ran out of memory); it is restarted."""
