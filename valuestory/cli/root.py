"""The `valuestory` command group; each module of this package adds its commands to it."""

from __future__ import annotations

from typing import Any

import click


class OneLineUsage(click.ClickException):
    """A mistake the option parser caught, said in one line (not click's usage block); exit 2."""

    exit_code = 2

    def __init__(self, error: click.UsageError) -> None:
        where = error.ctx.command_path if error.ctx is not None else "valuestory"
        super().__init__(f"{error.format_message()} (see {where} --help)")

    def show(self, file: Any = None) -> None:
        click.echo(f"valuestory: {self.message}", err=True)


def _said_in_one_line(exc: click.UsageError) -> click.ClickException:
    # A group named alone (`valuestory role`) shows its help, which is what was asked for.
    if type(exc).__name__ == "NoArgsIsHelpError":
        return exc
    return OneLineUsage(exc)


class Commands(click.Group):
    """A group whose parsing mistakes, and its subcommands', are one line each."""

    group_class = type  # its subgroups (`role`, `event`...) are the same kind of group

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _said_in_one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _said_in_one_line(exc) from None


class TelegramId(click.ParamType):
    """A Telegram user id: the person's number, never a @username (no usernames are kept)."""

    name = "telegram_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lstrip("-").isascii() and text.lstrip("-").isdigit():
            return int(text)
        self.fail(f"{text!r} is not a Telegram user id: give the person's number, like 123456789"
                  + (" (usernames can't be used)" if text.startswith("@") else ""), param, ctx)


@click.group(cls=Commands)
@click.version_option(package_name="valuestory")
def main() -> None:
    """valuestory: capture what members get from each Community of Practice event."""
