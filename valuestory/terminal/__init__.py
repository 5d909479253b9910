"""`valuestory try`: the member conversation in a terminal, on the same use cases as Telegram."""
