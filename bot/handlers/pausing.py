"""/pause and /resume in Telegram, with buttons to pick a community when there are several."""

from __future__ import annotations

from bot.send import replying_to_button, replying_to_command
from valuestory.usecases import pausing

on_pause = replying_to_command(pausing.pause)
on_resume = replying_to_command(pausing.resume)
# A community picked under /pause or /resume.
on_button = replying_to_button(pausing.press)
