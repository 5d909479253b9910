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
INTRO = "{intro}\n\n{questions}, about {minutes}. Skip anything you like."
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
    "/pause no more questions for now; /resume to hear from me again\n"
    "/privacy what's kept and who sees it\n"
    "/mydata everything I hold about you\n"
    "/withdraw leave and erase what you shared"
)
HELP_WHERE = "\n\nRight now we're on question {index} of {total}."

# The command menu Telegram shows members in a private chat.
COMMAND_MENU = {
    "help": "How this works",
    "continue": "Carry on where you left off",
    "skip": "Skip this question",
    "back": "Change your previous answer",
    "later": "Stop for now, keep my place",
    "pause": "No more questions for now",
    "resume": "Hear from me again",
    "privacy": "What's kept and who sees it",
    "mydata": "Everything held about me",
    "withdraw": "Leave and erase what I shared",
}

# Admin
NOT_ALLOWED = "Sorry, that's not something you can do."
DASHBOARD_LINK = ("Here is your link to the dashboard. It works once, for ten minutes, and only "
                  "for you, so please don't share it:\n{link}")
BTN_OPEN_DASHBOARD = "Open the dashboard"
# The dashboard's own messages (its pages' labels live in its templates).
DASHBOARD_SIGNED_OUT = "Please sign in: send /dashboard to the bot in Telegram for a link."
DASHBOARD_BYE = "You have signed out."
DASHBOARD_LINK_REFUSED = ("That link can't be used: each link works once, for ten minutes. Send "
                          "/dashboard to the bot for a new one.")
DASHBOARD_FORM_EXPIRED = "That form has expired. Please go back, reload the page and try again."
DASHBOARD_NOT_FOUND = "There is nothing here, or nothing you can see."
DASHBOARD_SLOW_DOWN = "Too many tries. Please wait a few minutes, then ask the bot for a new link."
DASHBOARD_TROUBLE = "Something went wrong on our side. Please try again in a moment."
DASHBOARD_BAD_PERIOD = "I couldn't read that period. Try 30d, 8w or 2026-09-01; showing all time."
DASHBOARD_UNTIL_BEFORE_SINCE = "The end date comes before the start date."
DASHBOARD_EVENT_CREATED = "The event is planned. Members will be asked about it afterwards."
DASHBOARD_EVENT_MOVED = "The event has moved. Members will be asked after its new time."
DASHBOARD_EVENT_CANCELLED = "The event is cancelled. Nobody will be asked about it."
# A story's stages on the dashboard, in the order a story unfolds.
STORY_STAGES = {
    "immediate": "Immediate value",
    "potential": "Potential value",
    "intended": "What they meant to do",
    "applied": "Applied value",
    "realised": "Realised value",
    "reframing": "Reframing value",
}
COMMUNITY_CREATED = "Created <b>{community}</b>.\nInvite link: {link}"
COMMUNITY_USAGE = "Usage: /newcommunity Name of the community"
ROLE_GRANTED = "Done: {user} is now a {role} of {community}."
ROLE_USAGE = "Usage: /grant <telegram user id> convener|researcher <community name or id>"
COMMUNITY_NOT_FOUND = "I couldn't find a community called {community}."

# --- Conveners: the matrix, the digest, events --------------------------------------------
CYCLE_SHORT = {
    "immediate": "immediate",
    "potential": "potential",
    "applied": "applied",
    "realised": "realised",
    "reframing": "reframing",
}
MATRIX_TITLE = "<b>{community}: Value Creation Matrix</b>\n<i>{period}</i>"
MATRIX_SUMMARY = "{narratives} in {stories} so far, from {members}."
MATRIX_SINCE_DIGEST = "“New” means since the last digest, {when}."
MATRIX_COLUMN = "<b>{cycle}</b>: {narratives} in {stories} from {members}, {new} new"
MATRIX_EXCERPT = "• “{text}” ({pseudonym})"
MATRIX_GAP = "<b>{cycle}</b>: nothing yet. {ask}"
MATRIX_GAP_ASK = {
    "immediate": "Ask members what happened at the last event that stayed with them.",
    "potential": "Ask what they took away: an idea, a contact, a resource they could use.",
    "applied": "Ask what they have tried since, in their own practice.",
    "realised": "Ask what difference it made: for patients, colleagues, the service.",
    "reframing": "Ask whether it changed how they or their organisation judge success.",
}
MATRIX_STORIES = "<b>Stories across cycles</b>: {count} reached realised or reframing value."
PLURALS = {"story": "stories", "member": "members", "event": "events", "month": "months",
           "answer": "answers", "narrative": "narratives", "minute": "minutes"}
MATRIX_STORY = "• {pseudonym}, from {event}: {chain}"
MATRIX_PARTICIPATION = (
    "<b>Participation</b>: {events}, {sent} asked, {attended} attended, "
    "{answered} answered ({rate}), {completed} completed. Unreachable: {unreachable}."
)
MATRIX_USAGE = "Try /matrix, /matrix 30d or /matrix since 2026-09-01."
MATRIX_CAPTION = "{community}: Value Creation Matrix, {period}"
PICK_COMMUNITY = "Which community?"
DIGEST_STATUS = (
    "Your weekly digest for <b>{community}</b> is <b>{state}</b>. It goes out on {day} at {time} "
    "({zone}).\nChange it with /digest on, /digest off or /digest monday 09:00."
)
DIGEST_ON = "on"
DIGEST_OFF = "off"
DIGEST_USAGE = "Try /digest on, /digest off, or /digest monday 09:00."
DIGEST_INTRO = "<b>Your weekly digest</b>"
EVENT_ASK_TITLE = "Let's set up an event for <b>{community}</b>. What is it called?"
EVENT_ASK_START = (
    "When does it start? Send a date and time like <code>{example}</code> ({zone} time)."
)
EVENT_ASK_DURATION = (
    "How long is it? For example <code>90</code> (minutes), <code>1h30</code> or <code>2h</code>."
)
EVENT_BAD_TITLE = "Please send a title of up to 200 characters."
EVENT_BAD_START = "I couldn't read that. Please send a date and time like <code>{example}</code>."
EVENT_IN_PAST = "That time has already passed. Please send a time in the future."
EVENT_BAD_DURATION = "I couldn't read that. Please send minutes, like <code>90</code>, or <code>1h30</code>."
EVENT_CONFIRM = "<b>{title}</b>\n{when}, {duration}\n\nShall I create it?"
EVENT_CREATED = "Done: <b>{title}</b> is on {when}. Members will be asked about it afterwards."
EVENT_DRAFT_CANCELLED = "Okay, I've dropped that event."
EVENT_DRAFT_EXPIRED = "That draft has gone. Send /newevent to start again."
BTN_CREATE = "Create it"
BTN_CANCEL = "Cancel"
BTN_CANCEL_EVENT = "Yes, cancel it"
BTN_KEEP_EVENT = "No, keep it"
EVENTS_TITLE = "<b>{community}: events</b>"
EVENTS_UPCOMING = "<b>Coming up</b>"
EVENTS_RECENT = "<b>Recent</b>"
EVENTS_NONE = "No events yet. Create one with /newevent."
EVENT_LINE_UPCOMING = "• {when}: {title}"
EVENT_LINE_RECENT = "• {when}: {title}, {answered} of {sent} answered ({rate})"
EVENT_LINE_CANCELLED = "• {when}: <s>{title}</s> (cancelled)"
CANCEL_PICK = "Which event should I cancel?"
CANCEL_NONE = "There are no upcoming events to cancel."
CANCEL_CONFIRM = "Cancel <b>{title}</b> on {when}? Members won't be asked about it."
EVENT_CANCELLED = "Cancelled <b>{title}</b>. Nobody will be asked about it."
EVENT_GONE = "That event can't be cancelled any more."
EVENT_CANT_MOVE = "That event has started or was cancelled, so it can't be moved any more."
INVITE = (
    "Invite link for <b>{community}</b>:\n{link}\n\nShare it, or show the QR code on a slide. "
    "People who open it read what's kept and agree before joining."
)
INVITE_CAPTION = "Scan to join {community}"
CHECKIN = (
    "Check-in for <b>{title}</b>:\n{link}\n\nMembers who open it during the event are marked as "
    "there, and I'll ask them about it afterwards."
)
CHECKIN_CAPTION = "Scan to check in: {title}"
CHECKIN_NONE = "There's no event on right now. Check-in opens 30 minutes before an event starts."
CHECKED_IN = "You're checked in to <b>{title}</b>. I'll ask you about it afterwards."
CHECKIN_CLOSED = "Check-in for that event has closed. Thank you all the same!"
CHECKIN_JOIN_FIRST = "To check in, please join {community} first, then open the check-in link again."
MEMBERS_COUNTS = (
    "<b>{community}: members</b>\n"
    "Joined: {joined}\nAgreed to the current information: {consented}\n"
    "Paused: {paused}\nUnreachable (blocked the bot): {unreachable}"
)
SETTINGS_SHOW = (
    "<b>{community}: scheduling</b>\n"
    "Ask members {delay} minutes after an event ends (/settings delay 120)\n"
    "Remind them after {reminder} hours (/settings reminder 48)\n"
    "Keep questions open for {window} days (/settings window 7)\n"
    "Quiet hours {quiet_start} to {quiet_end}, {zone} time (/settings quiet 20:00-08:00)\n"
    "Weekly digest on {day} at {time} (/digest monday 09:00)"
)
SETTINGS_SAVED = "Saved."
SETTINGS_USAGE = (
    "Try /settings delay 120 (minutes, or 2h; up to 7d), /settings reminder 48 (hours, or 2d), "
    "/settings window 7 (days, 1 to 60), /settings quiet 20:00-08:00 or /settings quiet off."
)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DIGEST_NOT_CONVENER = "The weekly digest goes to conveners; you aren't one of this community's."
EVENT_KEPT = "Okay, <b>{title}</b> stays on."

# Researchers' exports and members' rights (/export, /mydata, /withdraw)
EXPORT_CHOOSE = (
    "Which format would you like? Everything is pseudonymised.\n"
    "To filter, send for example:\n"
    "<code>/export csv community=Name since=2026-09-01 until=2026-12-31 cycle=applied</code>"
)
EXPORT_USAGE = (
    "Usage: <code>/export csv|xlsx|jsonl|qdpx [community=Name] [since=YYYY-MM-DD] "
    "[until=YYYY-MM-DD] [cycle=immediate|potential|applied|realised|reframing]</code>"
)
EXPORT_BAD = "{problem}. " + EXPORT_USAGE
EXPORT_NO_COMMUNITY = "I couldn't find a community called {community} among those you can export."
EXPORT_WORKING = "Preparing your {format} export…"
EXPORT_READY = "Narratives: {rows}, pseudonymised ({format}). This export is in the audit log."
EXPORT_TOO_BIG = (
    "That export (narratives: {rows}) is larger than Telegram lets me send. Narrow it with "
    "community=, since=, until= or cycle=, or ask an admin to run <code>valuestory export</code>."
)
MYDATA_NONE = "I don't hold anything about you. There is nothing to send."
MYDATA_READY = "Here is everything I hold about you. To erase it, send /withdraw."
WITHDRAW_NOTHING = "You're not part of any community here, so there is nothing to erase."
WITHDRAW_NOT_THERE = "You're not part of that community, so there is nothing to erase there."
WITHDRAW_CHOOSE = "Which community would you like to leave? What you shared there will be erased."
WITHDRAW_EVERYWHERE = "every community"
WITHDRAW_CONFIRM = (
    "<b>Leave {where}?</b>\n\n"
    "This erases your answers, their earlier versions and your pseudonym there, and stops "
    "all questions. It can't be undone. Exports already taken by researchers can't be recalled."
)
BTN_WITHDRAW_YES = "Yes, erase it"
BTN_WITHDRAW_KEEP = "No, keep it"
BTN_WITHDRAW_ALL = "All of them"
WITHDRAW_KEPT = "Nothing has changed. Thank you for staying."
WITHDRAWN_ONE = (
    "Done. You've left {community} and what you shared there has been erased. "
    "Your other communities are unchanged."
)
WITHDRAWN_ALL = (
    "Done. Everything you shared has been erased and I won't message you again. "
    "Thank you for taking part."
)

# --- Running as a service: retention ---------------------------------------------------------
RETENTION_NOTICE = (
    "<b>Heads-up about {community}</b>\n\n"
    "This community keeps stories for {months}. On {date} I'll erase {count} "
    "given before {cutoff}, and record that in the audit log.\n\n"
    "If you still need them, export them before then, or ask your admin to keep stories longer."
)

# Scheduling: reminders, pausing and resuming
REMINDER = (
    "A gentle nudge: I'd still love to hear what you got from <b>{event}</b>. "
    "It takes about {minutes}. Tap Carry on when you're ready."
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

# --- Counts in words, durations and conveners' input (shared by every area) -------------
QUESTION = "{count} question"
QUESTIONS = "{count} questions"


def plural(n: int, word: str) -> str:
    """'1 story', '2 stories': a count with its noun, singular only for exactly one."""
    return f"{n} {word if n == 1 else PLURALS.get(word, word + 's')}"


RATE_NONE = "n/a"
DURATION_HOURS_MINUTES = "{hours} h {minutes} min"
DURATION_HOURS = "{hours} h"
DURATION_MINUTES = "{minutes} min"
EVENT_TOO_FAR = (
    "That's further off than I can plan for. Please send a time within the next two years."
)
SETTINGS_REMINDER_TOO_LATE = (
    "The reminder has to go out before the questions close. Make the reminder shorter or keep "
    "questions open for longer (/settings window)."
)
MATRIX_PNG_NO_EVIDENCE = "no evidence yet"
MATRIX_PNG_GAP = "Nothing yet. {ask}"
MATRIX_PNG_NEW = "{new} new"
MATRIX_PNG_PARTICIPATION = (
    "{events} · {sent} asked · {attended} attended · {answered} answered ({rate}) · "
    "{completed} completed")
MATRIX_PNG_SUBTITLE = "Value Creation Matrix, {period}: {narratives} in {stories}, from {members}"
MATRIX_PNG_EVENTS_HEADING = "Event"
MATRIX_PNG_TOTAL = "All events"
MATRIX_PNG_EARLIER = "{events} before, together"
MATRIX_PNG_OTHER = "Other events"
MATRIX_PNG_NO_EVENTS = "No events in this period yet."
MATRIX_PNG_EXCERPTS = "In members' words"
MATRIX_PNG_TRACED = "One story across cycles: {pseudonym}, from {event}"
MATRIX_PNG_INTENDED = "intended"
