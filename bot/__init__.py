"""The Telegram adapter: updates in, calls into flows and storage, messages out."""
