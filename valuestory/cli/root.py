"""The `valuestory` command group; each module of this package adds its commands to it."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="valuestory")
def main() -> None:
    """valuestory: capture what members get from each Community of Practice event."""
