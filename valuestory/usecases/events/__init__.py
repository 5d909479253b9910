"""Events: planning them, drafting one in chat, listing them, and checking in at one.

Telegram's /newevent, the command line's `event create` and the dashboard go through the same
rules (`planning`): an event is from 2000 to two years ahead and ends after it starts; a draft
lives in the database, so a restart resumes it (`drafts`); cancelling an event cancels what is
still to be asked. `listing` shows a community's events, upcoming and past, with how members
answered; `checkin` lets members say they were there.
"""
