"""valuestory: value-creation stories from Communities of Practice, captured right after events."""

__version__ = "0.1.0"
