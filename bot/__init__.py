"""The Telegram adapter: reads each update, calls one use case, sends the messages it returns."""
