"""Question sets as data and the pure conversation engine. Knows nothing of Telegram."""
