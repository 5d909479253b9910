"""Members' rights in Telegram: /mydata and /withdraw (/privacy lives with the members)."""

from __future__ import annotations

from bot.send import replying_to_button, replying_to_command
from valuestory.usecases import rights

# /mydata: everything held about the member, as a text file.
on_mydata = replying_to_command(rights.my_data_file)
# /withdraw: confirm first, and ask which community when there are several.
on_withdraw = replying_to_command(rights.withdraw_start)
# A button under /withdraw; what it names is checked against what is stored.
on_withdraw_button = replying_to_button(rights.withdraw_press)
