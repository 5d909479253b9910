"""The use cases every front end shares: plain async functions of the database and plain values.

They return what to say (`Out` messages), never a Telegram object, and import only `flows` and
`storage` of ours, so the same call serves a Telegram handler, a command and a web page.
"""
