"""What coding says when something asked of it can't be done."""

from __future__ import annotations

from valuestory.usecases.errors import AdminError


class CodingError(AdminError):
    """Something asked of the codebook or a coding that can't be done, said plainly."""


class Unknown(CodingError):
    """No such community, code, narrative or coding, or none the caller may code."""


class NeedLabel(CodingError):
    """A signed-in coder who has not yet chosen the label they are shown by."""
