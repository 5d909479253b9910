"""Typed access to what the Application carries: the database and settings, never domain data."""

from __future__ import annotations

from typing import cast

from telegram.ext import ContextTypes

from storage.db import Database
from valuestory.settings import Settings


def database(context: ContextTypes.DEFAULT_TYPE) -> Database:
    return cast(Database, context.bot_data["db"])


def settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return cast(Settings, context.bot_data["settings"])
