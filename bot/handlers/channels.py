"""/channel in Telegram: where a member is asked after events, and a tap on one."""

from __future__ import annotations

from bot.send import replying_to_button, replying_to_command
from valuestory.usecases import channels

on_channel = replying_to_command(channels.choose)
on_button = replying_to_button(channels.press)
