"""Everything the bot says, in one place. Warm, short, plain English.

Texts are Telegram HTML: anything that comes from a person (a title, an answer) is escaped by
whoever fills the placeholder, never here.
"""

# Buttons
BTN_SKIP = "Skip"
BTN_NEXT = "Next"
BTN_BACK = "Back"
BTN_LATER = "Later"
BTN_STOP = "Stop"
BTN_DONE = "Done"
BTN_CONTINUE = "Carry on"
BTN_AGREE = "I agree"
BTN_NOT_NOW = "Not now"

# The conversation
INTRO = "{intro}\n\n{count} questions, about {minutes} minutes. Skip anything you like."
PROGRESS = "<b>{index} of {total}</b>"
ASK_TEXT_HINT = "Answer in one message or several, then tap Next."
ASK_MULTI_HINT = "Tap to choose, then Done."
ACK_FIRST = "Got it. Add more if you like, or tap Next."
ACK_MORE = "Added to your answer. Tap Next when you're ready."
REVISE = "You said:\n<i>{answer}</i>\n\nSend a new answer to replace it, or tap Next to keep it."
AT_FIRST_QUESTION = "This is the first question, so there's nothing to go back to."
PLEASE_TAP = "Please tap one of the buttons above, or Skip."
LATER = "No problem, I've kept your place. Tap Carry on, or send /continue, when you're ready."
WELCOME_BACK = "Welcome back! Here's where we were."
STOPPED = "Thank you. I've saved what you shared. You can always see it with /mydata."
NOT_ATTENDED = "Thanks for letting me know. I've noted that you couldn't make it."
THANKS = "Thank you, that's everything. Here's what you told me:"
RECAP_LINE = "<b>{cycle}</b> ({label}): {answer}"
RECAP_NOTHING = "You skipped every question, and that's fine. Thanks for letting me know."
STALE_BUTTON = "That button is from an earlier message. Here's where we are now."
PROMPT_FINISHED = "That one is already finished. Thank you!"
PROMPT_CLOSED = "This one has closed now, so I can't add to it. Thank you all the same!"
EDITED = (
    "I keep what you first sent. To change an answer, tap Back and send the new version."
)
TOO_LONG = (
    "That message is longer than I can take in one go. Could you split it into a few shorter ones?"
)
ANSWER_FULL = "That answer is already very long, so I couldn't add more. Tap Next to move on."
NOTHING_OPEN = "Thanks! There's nothing for you to answer right now. I'll message you after your next event."
NEXT_PROMPT_WAITING = "There's one more waiting for you, about {event}."

CYCLE_NAMES = {
    "immediate": "Immediate value",
    "potential": "Potential value",
    "applied": "Applied value",
    "realised": "Realised value",
    "reframing": "Reframing value",
}

# Joining and consent
PARTICIPANT_BODY = (
    "After each event I'll ask you a few short questions about what you got out of it, "
    "and a few weeks later what you did with it.\n\n"
    "<b>What's kept:</b> your answers, which event they're about, and when you gave them.\n"
    "<b>Who sees it:</b> your community's conveners and researchers see your answers under a "
    "pseudonym, never your name or Telegram account.\n"
    "<b>Your choice:</b> skip any question, pause with /pause, see your data with /mydata, "
    "and leave with /withdraw, which erases what you shared."
)
PARTICIPANT_INFO = "<b>Joining {community}</b>\n\n" + PARTICIPANT_BODY + "\n\nAre you happy to take part?"
PRIVACY = "<b>Your privacy</b>\n\n" + PARTICIPANT_BODY
JOINED = (
    "Welcome to {community}! You're all set. I'll message you after events. "
    "Send /help any time."
)
ALREADY_MEMBER = "You're already part of {community}. I'll message you after events."
NOT_NOW = "No problem, nothing has been kept. Tap the invite link again whenever you like."
BAD_INVITE = "That invite link doesn't look right. Please ask your convener for a fresh one."
START_STRANGER = (
    "Hello! I collect stories about what members get from their community of practice. "
    "To join, open the invite link your convener shared with you."
)
START_MEMBER = "Hello again! I'll message you after your next event. Send /help to see what I can do."

# Bad input
UNKNOWN_USER = (
    "Hello! I don't think we've met. To take part, open the invite link your convener shared with you."
)
GROUP_CHAT = "I take stories in private chats only. Please message me directly: {link}"
NOT_SUPPORTED = {
    "voice": "Voice notes aren't supported yet, sorry. Could you type your answer instead?",
    "video_note": "Video messages aren't supported yet, sorry. Could you type your answer instead?",
    "sticker": "Nice sticker! I can only keep words, though. Could you type your answer?",
    "photo": "I can't keep photos, sorry. Could you describe it in words instead?",
    "document": "I can't keep files, sorry. Could you type your answer instead?",
    "location": "I can't use locations, sorry. Could you type your answer instead?",
    "other": "I can only take text messages, sorry. Could you type your answer instead?",
}
UNKNOWN_COMMAND = "I don't know that command. Your answers are safe. Send /help to see what I can do."
NOT_FOR_YOU = "That button isn't meant for you."
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side. What you've already shared is safe. Please try again."
)

HELP = (
    "<b>How this works</b>\n"
    "After an event I ask a few short questions, one at a time.\n\n"
    "• Answer in one message or several, then tap <b>Next</b> (or /next).\n"
    "• <b>Skip</b> (/skip) any question you'd rather not answer.\n"
    "• <b>Back</b> (/back) to change your previous answer.\n"
    "• <b>Later</b> (/later) to stop for now and carry on where you left off (/continue).\n"
    "• <b>Stop</b> (/stop) to end this one; what you've shared is kept.\n\n"
    "/privacy what's kept and who sees it\n"
    "/mydata everything I hold about you\n"
    "/withdraw leave and erase what you shared"
)
HELP_WHERE = "\n\nRight now we're on question {index} of {total}."

# Admin
NOT_ALLOWED = "Sorry, that's not something you can do."
COMMUNITY_CREATED = "Created <b>{community}</b>.\nInvite link: {link}"
COMMUNITY_USAGE = "Usage: /newcommunity Name of the community"
ROLE_GRANTED = "Done: {user} is now a {role} of {community}."
ROLE_USAGE = "Usage: /grant <telegram user id> convener|researcher <community name or id>"
COMMUNITY_NOT_FOUND = "I couldn't find a community called {community}."

# Scheduling: reminders, pausing and resuming
REMINDER = (
    "A gentle nudge: I'd still love to hear what you got from <b>{event}</b>. "
    "It takes about {minutes} minutes. Tap Carry on when you're ready."
)
PAUSE_WHICH = "Which community should I stop messaging you about?"
RESUME_WHICH = "Which community should I message you about again?"
BTN_ALL_COMMUNITIES = "All of them"
PAUSED_ONE = (
    "Paused. I won't message you about {community} until you send /resume. "
    "What you've shared is kept."
)
PAUSED_ALL = (
    "Paused. I won't message you about any community until you send /resume. "
    "What you've shared is kept."
)
RESUMED_ONE = "Welcome back! I'll message you after {community}'s next event."
RESUMED_ALL = "Welcome back! I'll message you after your communities' next events."
NOT_PAUSED = "You're not paused, so there's nothing to resume. I'll message you after your next event."
ALREADY_PAUSED = "You're already paused. Send /resume whenever you'd like to hear from me again."
PAUSE_NO_COMMUNITY = (
    "You're not part of a community yet, so I won't message you. "
    "To join, open the invite link your convener shared with you."
)
