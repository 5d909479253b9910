"""Telegram handlers, one module per use case they call: each reads the update, calls the use
case, and sends what it returns. `bot.app` wires them; the runtime around them (the inbox,
ordering, sending, scheduling, the speech worker) lives in `bot/` itself."""
