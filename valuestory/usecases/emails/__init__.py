"""Members reached by email: what each email says (`Letter`), for the mail front end to send."""

from valuestory.usecases.emails.model import Kind, Letter

__all__ = ["Kind", "Letter"]
