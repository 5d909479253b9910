"""The one kind of refusal a use case raises: something asked for that can't be done."""

from __future__ import annotations


class AdminError(ValueError):
    """Something an admin or convener asked for that can't be done, said plainly."""
