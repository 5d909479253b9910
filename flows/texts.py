"""Everything the bot says, in one place. Warm, short, plain English.

Texts are Telegram HTML: anything that comes from a person (a title, an answer) is escaped by
whoever fills the placeholder, never here. Every text is marked for the catalog (`N_`, or `N_P` for
a count with its noun) and these names stay plain English; `In(language)` reads the same names in
another language, for example `In("pl").HELP` or `In("pl").plural(5, "minute")`. Where a person's
value goes into a translated sentence, pass it through `isolate()` after escaping it.

Every text here reaches a person through `In(language)` in their language, never as it stands:
a member in their own (before joining, Telegram's, else the community's); a convener,
researcher or admin in theirs as a member, else the community's the reply is about; English
only for a language without a catalog. The use cases choose it (`valuestory.usecases.speaking`).
"""

from __future__ import annotations

import sys
from functools import cache

from flows.i18n import N_, N_P, Composed, Plural, Texts, pick
from flows.i18n import isolate as isolate  # texts.isolate(title), beside the texts it fills

# Buttons
# TRANSLATORS: buttons: one or two words. Commands (/help, /next...) stay as they are everywhere.
BTN_SKIP = N_("Skip")
BTN_NEXT = N_("Next")
BTN_BACK = N_("Back")
BTN_LATER = N_("Later")
BTN_STOP = N_("Stop")
BTN_DONE = N_("Done")
BTN_CONTINUE = N_("Carry on")
BTN_KEEP = N_("Keep")
BTN_DISCARD = N_("No")
BTN_AGREE = N_("I agree")
BTN_NOT_NOW = N_("Not now")

# The conversation
# TRANSLATORS: {questions} reads like "6 questions" and {minutes} like "5 minutes".
INTRO = N_("{intro}\n\n{questions}, about {minutes}. Skip anything you like.")
PROGRESS = N_("<b>{index} of {total}</b>")
# Before the member's choices settle how many questions there will be: no total yet.
# TRANSLATORS: {minutes} reads like "5 minutes".
INTRO_SO_FAR = N_("{intro}\n\nAbout {minutes}. Skip anything you like.")
PROGRESS_SO_FAR = N_("<b>Question {index}</b>")
ASK_TEXT_HINT = N_("Answer in one message or several, then tap Next.")
ASK_MULTI_HINT = N_("Tap to choose, then Done.")
ACK_FIRST = N_("Got it. Add more if you like, or tap Next.")
ACK_MORE = N_("Added to your answer. Tap Next when you're ready.")
REVISE = N_("You said:\n<i>{answer}</i>\n\nSend a new answer to replace it, or tap Next to keep it.")
AT_FIRST_QUESTION = N_("This is the first question, so there's nothing to go back to.")
PLEASE_TAP = N_("Please tap one of the buttons above.")
LATER = N_("No problem, I've kept your place. Tap Carry on, or send /continue, when you're ready.")
WELCOME_BACK = N_("Welcome back! Here's where we were.")
KEEP_HELD = N_("You sent:\n<i>{message}</i>\n\nShall I keep that as your answer to this question?")
HELD_DISCARDED = N_("Okay, I've left that out.")
STOPPED = N_("Thank you. I've saved what you shared. You can always see it with /mydata.")
STOPPED_NOTHING = N_("Okay, I've ended this one. You hadn't answered anything, so nothing was saved.")
NOT_ATTENDED = N_("Thanks for letting me know. I've noted that you couldn't make it.")
THANKS = N_("Thank you, that's everything. Here's what you told me:")
RECAP_NOTHING = N_("You skipped every question, and that's fine. Thanks for letting me know.")
STALE_BUTTON = N_("That button is from an earlier message. Here's where we are now.")
PROMPT_FINISHED = N_("That one is already finished. Thank you!")
PROMPT_CLOSED = N_("This one has closed now, so I can't add to it. Thank you all the same!")
EDITED = N_(
    "I keep what you first sent. To change an answer, tap Back and send the new version."
)
TOO_LONG = N_(
    "That message is longer than I can take in one go. Could you split it into a few shorter ones?"
)
ANSWER_FULL = N_("That answer is already very long, so I couldn't add more. Tap Next to move on.")
NOTHING_OPEN = N_(
    "Thanks! There's nothing for you to answer right now. I'll message you after your next event."
)
NEXT_PROMPT_WAITING = N_("There's one more waiting for you, about {event}.")

CYCLE_NAMES = {
    "immediate": N_("Immediate value"),
    "potential": N_("Potential value"),
    "applied": N_("Applied value"),
    "realised": N_("Realised value"),
    "reframing": N_("Reframing value"),
}

# The members' check: a member is asked whether each of the community's value indicators (the
# conveners' statements, shown as written) rings true for them.
# TRANSLATORS: buttons under a statement about the community's value.
BTN_RINGS_TRUE = N_("Rings true")
BTN_NOT_FOR_ME = N_("Not for me")
# TRANSLATORS: {community} is the community's name; {statements} reads like "6 statements".
CHECK_INTRO = N_(
    "<b>Does this ring true for you?</b>\n\n"
    "The conveners of {community} have written down what members' stories show about the "
    "value of the community. Here are {statements}, one at a time: tap Rings true, Not for me, "
    "or Skip. You can add a sentence about any of them."
)
# TRANSLATORS: {cycle} is a cycle's name ("Immediate value"); {statement} the conveners' words.
CHECK_STATEMENT = N_("<b>{cycle}</b> · {index} of {total}\n\n<i>{statement}</i>")
CHECK_NOTED_TRUE = N_(
    "Noted: it rings true for you. If you like, write a sentence about it now; or tap Next."
)
CHECK_NOTED_NOT = N_(
    "Noted: it's not how you see it. If you like, write a sentence about it now; or tap Next."
)
CHECK_SENTENCE_KEPT = N_("Thank you, I've kept that with the statement.")
CHECK_THANKS = N_(
    "Thank you, that's all of them. Your conveners see how many members each statement rings "
    "true for, not who said what. Any sentence you added is kept with your answer, and "
    "/mydata shows it."
)
CHECK_CLOSED = N_("This check has closed now, so I can't add to it. Thank you all the same!")
CHECK_FINISHED = N_("You've answered every statement already. Thank you!")
# The convener's side: /matrix share, the dashboard's button, `valuestory matrix share`.
# TRANSLATORS: {members} reads like "8 members", {statements} like "6 statements", {days} like "7 days".
CHECK_SHARED = N_(
    "Planned: {members} will be asked whether {statements} ring true for them. The scheduler "
    "sends it outside quiet hours; it stays open for {days}. Each statement's counts show on the "
    "dashboard's matrix."
)
CHECK_NOTHING_TO_SHARE = N_(
    "There are no indicators to check yet. Add some on the dashboard's matrix page first."
)
CHECK_NOBODY = N_(
    "Nobody can be asked yet: no member who agreed to take part is active and reachable."
)
# TRANSLATORS: {members} reads like "3 members".
CHECK_UNDER_WAY = N_(
    "A check is already under way: {members} can still answer it. Share again once it has closed."
)

# Joining and consent
PARTICIPANT_BODY = N_(
    "After each event I'll ask you a few short questions about what you got out of it, "
    "and a few weeks later what you did with it.\n\n"
    "<b>What's kept:</b> your answers, which event they're about, and when you gave them.\n"
    "<b>Who sees it:</b> your community's conveners and researchers see your answers under a "
    "pseudonym, never your name or Telegram account.\n"
    "<b>Your choice:</b> skip any question, pause with /pause, see your data with /mydata, "
    "and leave with /withdraw, which erases what you shared."
)
PARTICIPANT_INFO = Composed(N_("<b>Joining {community}</b>"), "\n\n", PARTICIPANT_BODY, "\n\n",
                            N_("Are you happy to take part?"))
# Where a community keeps the recordings of voice notes, its members agree to this text instead.
PARTICIPANT_AUDIO = N_(
    "<b>Voice notes:</b> you can answer by voice. This community also keeps the recording "
    "beside its text, and a voice can identify you; /withdraw erases recordings too."
)
PARTICIPANT_BODY_WITH_AUDIO = Composed(PARTICIPANT_BODY, "\n\n", PARTICIPANT_AUDIO)
PARTICIPANT_INFO_WITH_AUDIO = Composed(N_("<b>Joining {community}</b>"), "\n\n", PARTICIPANT_BODY,
                                       "\n\n", PARTICIPANT_AUDIO, "\n\n",
                                       N_("Are you happy to take part?"))
PRIVACY = Composed(N_("<b>Your privacy</b>"), "\n\n", PARTICIPANT_BODY)
JOINED = N_(
    "Welcome to {community}! You're all set. I'll message you after events. "
    "Send /help any time."
)
ALREADY_MEMBER = N_("You're already part of {community}. I'll message you after events.")
NOT_NOW = N_("No problem, nothing has been kept. Tap the invite link again whenever you like.")
BAD_INVITE = N_("That invite link doesn't look right. Please ask your convener for a fresh one.")
START_STRANGER = N_(
    "Hello! I collect stories about what members get from their community of practice. "
    "To join, open the invite link your convener shared with you."
)
START_MEMBER = N_("Hello again! I'll message you after your next event. Send /help to see what I can do.")
# Conveners, researchers and admins who are not members: their /start and /help.
STAFF_START = N_(
    "Hello! You run or study a community here, so I won't ask you for stories. Here is what you "
    "can do:"
)
STAFF_HELP_INTRO = N_("<b>What you can do here</b>")
STAFF_HELP = {
    "convener": N_(
        "<b>As a convener</b>\n"
        "/matrix the Value Creation Matrix (/matrix 30d for a period)\n"
        "/events upcoming and recent events\n"
        "/newevent set up an event; /cancelevent cancel one\n"
        "/invite the invite link, with a QR code\n"
        "/checkin a check-in link during an event\n"
        "/members who has joined\n"
        "/settings when members are asked\n"
        "/digest your weekly digest\n"
        "/dashboard a sign-in link to the dashboard"
    ),
    "researcher": N_(
        "<b>As a researcher</b>\n"
        "/matrix the Value Creation Matrix (/matrix 30d for a period)\n"
        "/export the narratives as a file\n"
        "/dashboard a sign-in link to the dashboard"
    ),
    "admin": N_(
        "<b>As an admin</b>\n"
        "/newcommunity Name: create a community\n"
        "/grant id convener|researcher community: give a role\n"
        "/revoke id convener|researcher [community]: take it away\n"
        "/dashboard a sign-in link to the dashboard"
    ),
}

# Bad input
UNKNOWN_USER = N_(
    "Hello! I don't think we've met. To take part, open the invite link your convener shared with you."
)
GROUP_CHAT = N_("I take stories in private chats only. Please message me directly: {link}")
NOT_SUPPORTED = {
    "voice": N_("Voice notes aren't supported yet, sorry. Could you type your answer instead?"),
    "video_note": N_("Video messages aren't supported yet, sorry. Could you type your answer instead?"),
    "sticker": N_("Nice sticker! I can only keep words, though. Could you type your answer?"),
    "photo": N_("I can't keep photos, sorry. Could you describe it in words instead?"),
    "document": N_("I can't keep files, sorry. Could you type your answer instead?"),
    "location": N_("I can't use locations, sorry. Could you type your answer instead?"),
    "other": N_("I can only take text messages, sorry. Could you type your answer instead?"),
}
# Voice notes as answers
VOICE_LISTENING = N_("Listening to your voice note… I'll send you what I heard in a moment.")
VOICE_HEARD = N_("I heard: «{transcript}»\n\nShall I keep this as your answer?")
VOICE_HEARD_NOTHING = N_(
    "Sorry, I couldn't make out any words in that voice note. Could you try again, or type your answer?"
)
VOICE_TOO_LONG = N_(
    "That voice note is longer than {minutes}, which is more than I can listen to. "
    "Could you send a shorter one, or type your answer?"
)
VOICE_TOO_LARGE = N_("That file is too large for me to fetch, sorry. Could you send a shorter voice note?")
VOICE_UNDECODABLE = N_(
    "I couldn't play that file, sorry. Could you record a voice note again, or type your answer?"
)
VOICE_FAILED = N_(
    "Sorry, I couldn't listen to that voice note just now. Could you send it again, or type your answer?"
)
VOICE_TYPE_INSTEAD = N_(
    "No problem, I haven't kept anything from that voice note. Type your answer whenever you're ready."
)
VOICE_REPLACED = N_("I've already heard a newer voice note from you: use the buttons under that one.")
VOICE_DECIDED = N_("You've already chosen what to do with that voice note.")
VOICE_MOVED_ON = N_(
    "We've moved on from that question, so I haven't kept that transcript. "
    "Here's where we are now."
)
BTN_VOICE_KEEP = N_("Keep it")
BTN_VOICE_TYPE = N_("Type it instead")
UNKNOWN_COMMAND = N_("I don't know that command. Your answers are safe. Send /help to see what I can do.")
NOT_FOR_YOU = N_("That button isn't meant for you.")
SOMETHING_WENT_WRONG = N_(
    "Sorry, something went wrong on my side. What you've already shared is safe. Please try again."
)

HELP = N_(
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
    "/withdraw leave and erase what you shared\n"
    "/language the language I write in\n"
    "/link your own page, to answer in a browser too\n"
    "/channel where I ask you: here or by email"
)
HELP_WHERE = N_("\n\nRight now we're on question {index} of {total}.")
HELP_WHERE_SO_FAR = N_("\n\nRight now we're on question {index}.")

# The command menu Telegram shows members in a private chat.
COMMAND_MENU = {
    "help": N_("How this works"),
    "continue": N_("Carry on where you left off"),
    "skip": N_("Skip this question"),
    "back": N_("Change your previous answer"),
    "later": N_("Stop for now, keep my place"),
    "pause": N_("No more questions for now"),
    "resume": N_("Hear from me again"),
    "privacy": N_("What's kept and who sees it"),
    "mydata": N_("Everything held about me"),
    "withdraw": N_("Leave and erase what I shared"),
    "language": N_("Choose the language I write in"),
    "link": N_("My own page, to answer in a browser"),
    "channel": N_("Where I'm asked after events"),
}

# /language: each button names a language in itself, so these two are the only texts.
# /channel: where a member is asked after events.
CHANNEL_CHOOSE = N_("Where would you like me to ask you after events?")
CHANNEL_TELEGRAM = N_("Here in Telegram")
CHANNEL_EMAIL = N_("By email")
CHANNEL_SET_TELEGRAM = N_("Done: I'll ask you here in Telegram after events.")
CHANNEL_SET_EMAIL = N_(
    "Done: I'll ask you by email after events, with a link to your own page. You're the same "
    "member either way."
)
CHANNEL_ONLY_TELEGRAM = N_(
    "I can only ask you here in Telegram for now: email needs an address you've confirmed."
)
LANGUAGE_CHOOSE = N_("Which language would you like me to write in?")
# TRANSLATORS: said in the language just chosen; "English" is that language's own name.
LANGUAGE_SET = N_(
    "Done: I'll write to you in English from now on. What you've shared is kept as you wrote it."
)

# Admin
NOT_ALLOWED = N_("Sorry, that's not something you can do.")
DASHBOARD_LINK = N_("Here is your link to the dashboard. It works once, for ten minutes, and only "
                  "for you, so please don't share it:\n{link}")
BTN_OPEN_DASHBOARD = N_("Open the dashboard")
# The dashboard's own messages (its pages' labels live in its templates).
DASHBOARD_SIGNED_OUT = N_("Please sign in: send /dashboard to the bot in Telegram for a link.")
DASHBOARD_BYE = N_("You have signed out.")
DASHBOARD_LINK_REFUSED = N_("That link can't be used: each link works once, for ten minutes. Send "
                          "/dashboard to the bot for a new one.")
DASHBOARD_FORM_EXPIRED = N_("That form has expired. Please go back, reload the page and try again.")
DASHBOARD_NOT_FOUND = N_("There is nothing here, or nothing you can see.")
DASHBOARD_SLOW_DOWN = N_("Too many tries. Please wait a few minutes, then ask the bot for a new link.")
DASHBOARD_TROUBLE = N_("Something went wrong on our side. Please try again in a moment.")
DASHBOARD_BAD_PERIOD = N_("I couldn't read that period. Try 30d, 8w or 2026-09-01; showing all time.")
DASHBOARD_UNTIL_BEFORE_SINCE = N_("The end date comes before the start date.")
DASHBOARD_EVENT_CREATED = N_("The event is planned. Members will be asked about it afterwards.")
DASHBOARD_EVENT_MOVED = N_("The event has moved. Members will be asked after its new time.")
DASHBOARD_EVENT_CANCELLED = N_("The event is cancelled. Nobody will be asked about it.")
# TRANSLATORS: {invited} and {already} are bare numbers of email addresses.
# TRANSLATORS: {pseudonym} reads like "P-7K2Q"; {link} is the member's page, shown this once.
DASHBOARD_MEMBER_LINK = N_("{pseudonym}'s new link, shown only this once (their older links stop "
                           "working): {link}")
DASHBOARD_MEMBER_LINKS_REVOKED = N_("{pseudonym}'s links stopped working: {count}.")
DASHBOARD_INVITED = N_(
    "Invited by email: {invited}. Already invited or in the community: {already}. Each gets their "
    "invitation within a minute.")
# A past event nobody has been asked about: still to come, or never (its questions fell due
# with nobody to ask, or closed).
DASHBOARD_NOBODY_ASKED_YET = N_("nobody asked yet")
# TRANSLATORS: {when} is a date and time.
DASHBOARD_ASKED_LATER = N_("nobody asked yet: members are asked on {when}")
DASHBOARD_NOBODY_WILL_BE_ASKED = N_("nobody will be asked")
# A story's stages on the dashboard, in the order a story unfolds.
STORY_STAGES = {
    "immediate": N_("Immediate value"),
    "potential": N_("Potential value"),
    "intended": N_("What they meant to do"),
    "applied": N_("Applied value"),
    "realised": N_("Realised value"),
    "reframing": N_("Reframing value"),
}
COMMUNITY_CREATED = N_("Created <b>{community}</b>.\nInvite link: {link}")
COMMUNITY_USAGE = N_("Usage: /newcommunity Name of the community")
ROLE_GRANTED = N_("Done: {user} is now a {role} of {community}.")
ROLE_USAGE = N_("Usage: /grant <telegram user id> convener|researcher <community name or id>")
ROLE_REVOKED = N_("Done: {user} is no longer a {role} of {community}. It takes effect at once.")
ROLE_REVOKE_USAGE = N_(
    "Usage: /revoke <telegram user id> convener|researcher [community name or id]"
)
# TRANSLATORS: fills {community} in "... is no longer a researcher of any community".
ROLE_EVERYWHERE = N_("any community")
# The command line grants a researcher every community, and lists such a grant so.
ROLE_GRANTED_EVERYWHERE = N_("Done: {user} is now a {role} of every community.")
ROLE_EVERY_COMMUNITY = N_("every community")
# What an admin asked for that can't be done: the reply capitalises it and ends it with a full
# stop; the command line shows it as it stands. {community} is a name as typed, in quotes.
NO_SUCH_COMMUNITY = N_("no community called {community}")
COMMUNITY_EXISTS = N_("there is already a community called {community}")
ROLE_UNKNOWN = N_("the role must be convener or researcher")
ROLE_EVERYWHERE_ONLY_RESEARCHER = N_("only a researcher role can cover every community")
ROLE_NOT_HELD = N_("{user} is not a {role} of {community}")
ROLE_NOT_HELD_ANYWHERE = N_("{user} is not a {role} of any community")

# --- Conveners: the matrix, the digest, events --------------------------------------------
CYCLE_SHORT = {
    # TRANSLATORS: a value cycle's short name, in the middle of a sentence.
    "immediate": N_("immediate"),
    "potential": N_("potential"),
    "applied": N_("applied"),
    "realised": N_("realised"),
    "reframing": N_("reframing"),
}
MATRIX_TITLE = N_("<b>{community}: Value Creation Matrix</b>\n<i>{period}</i>")
# TRANSLATORS: {narratives} reads like "12 narratives", {stories} "4 stories", {members} "3 members".
MATRIX_SUMMARY = N_("{narratives} in {stories} so far, from {members}.")
MATRIX_SINCE_DIGEST = N_("“New” means since the last digest, {when}.")
# TRANSLATORS: {new} is a bare number; the others read like "12 narratives", "4 stories", "3 members".
MATRIX_COLUMN = N_("<b>{cycle}</b>: {narratives} in {stories} from {members}, {new} new")
MATRIX_EXCERPT = N_("• “{text}” ({pseudonym})")
MATRIX_GAP = N_("<b>{cycle}</b>: nothing yet. {ask}")
MATRIX_GAP_ASK = {
    "immediate": N_("Ask members what happened at the last event that stayed with them."),
    "potential": N_("Ask what they took away: an idea, a contact, a resource they could use."),
    "applied": N_("Ask what they have tried since, in their own practice."),
    "realised": N_("Ask what difference it made: for patients, colleagues, the service."),
    "reframing": N_("Ask whether it changed how they or their organisation judge success."),
}
# TRANSLATORS: {count} reads like "3 stories".
MATRIX_STORIES = N_("<b>Stories across cycles</b>: {count} reached realised or reframing value.")
# A count with its noun, in every form the language has (Polish three, Arabic six).
COUNTS = {
    "story": N_P("{count} story", "{count} stories"),
    "member": N_P("{count} member", "{count} members"),
    "event": N_P("{count} event", "{count} events"),
    "month": N_P("{count} month", "{count} months"),
    "answer": N_P("{count} answer", "{count} answers"),
    "narrative": N_P("{count} narrative", "{count} narratives"),
    "minute": N_P("{count} minute", "{count} minutes"),
    "question": N_P("{count} question", "{count} questions"),
    "statement": N_P("{count} statement", "{count} statements"),
    "day": N_P("{count} day", "{count} days"),
    # A code applied to a passage, as the codebook's Remove button counts them.
    "coding": N_P("{count} coding", "{count} codings"),
}
MATRIX_STORY = N_("• {pseudonym}, from {event}: {chain}")
# TRANSLATORS: {events} reads like "4 events"; the others are bare numbers, {rate} a percentage.
MATRIX_PARTICIPATION = N_(
    "<b>Participation</b>: {events}, {sent} asked, {attended} attended, "
    "{answered} answered ({rate}), {completed} completed. Unreachable: {unreachable}."
)
# Plans: what members said they might do (an intention question), kept apart from applied value.
# TRANSLATORS: the name of the matrix's entry for intentions: things members plan to do, not yet done.
MATRIX_PLANS = N_("Plans (not yet done)")
# TRANSLATORS: a plan's short name, in a chain like "immediate → potential → planned → applied".
MATRIX_PLANNED = N_("planned")
MATRIX_PLANS_GAP = N_("Ask what they might do with it in the coming weeks.")
# TRANSLATORS: bare numbers. "Followed up": asked weeks later what they did; "done": they said
# what they did; "made a difference": they said what difference it made.
MATRIX_PLANS_PIPELINE = N_(
    "<b>Plans followed</b>: {made} made, {followed} followed up, {done} reported done, "
    "{difference} made a difference."
)
MATRIX_PLANS_APART = N_("Applied value counts only what members did; plans are counted apart.")
# The plans pipeline on the dashboard's matrix page: a heading, four counts and what they mean.
DASHBOARD_PLANS_HEADING = N_("Plans followed")
DASHBOARD_PLANS_MADE = N_("Plans made")
DASHBOARD_PLANS_FOLLOWED = N_("Followed up")
DASHBOARD_PLANS_DONE = N_("Reported done")
DASHBOARD_PLANS_DIFFERENCE = N_("Made a difference")
DASHBOARD_PLANS_MEANING = N_(
    "Plans made: stories in which a member said what they might do. Followed up: of those, the "
    "ones whose member was asked weeks later what they did. Reported done: the member said what "
    "they did. Made a difference: the member said what difference it made."
)
# The matrix's value indicators, first, as the study draws it: statements under each cycle.
MATRIX_INDICATORS = N_("<b>Value indicators</b>: what members' stories show, cycle by cycle.")
# TRANSLATORS: a cycle's name over the statements under it; keep the tags.
MATRIX_INDICATOR_CYCLE = N_("<i>{cycle}</i>")
# TRANSLATORS: {statement} is the community's own words; {members} reads like "3 members",
# {stories} like "4 stories": those whose stories back the statement.
MATRIX_INDICATOR = N_("• {statement}: {members} · {stories}")
# TRANSLATORS: bare numbers: members asked whether the statement rings true for them, and what
# they said. Worded so that no verb agrees with a count ("1 ring true" read wrong).
MATRIX_INDICATOR_CHECK = N_("   Members' check: {asked} asked · rings true for {agreed} · "
                            "not for {disagreed}")
# TRANSLATORS: {count} is a bare number of statements not listed here for want of room.
MATRIX_INDICATORS_MORE = N_("   …and {count} more on the dashboard's matrix page")
MATRIX_INDICATORS_NONE = N_(
    "<b>Value indicators</b>: none yet. Write what value members' stories show, as short "
    "statements under each cycle, each backed by their stories: on the dashboard's matrix page "
    "(/dashboard), where a few examples wait to be adopted."
)
MATRIX_USAGE = N_("Try /matrix, /matrix 30d or /matrix since 2026-09-01.")
# The period a matrix covers, filling {period}.
PERIOD_ALL_TIME = N_("all time")
PERIOD_DAYS = N_P("the last {count} day", "the last {count} days")
PERIOD_WEEKS = N_P("the last {count} week", "the last {count} weeks")
# TRANSLATORS: {date} is a date like "1 Sep 2026".
PERIOD_SINCE = N_("since {date}")
MATRIX_CAPTION = N_("{community}: Value Creation Matrix, {period}")
PICK_COMMUNITY = N_("Which community?")
DIGEST_STATUS = N_(
    "Your weekly digest for <b>{community}</b> is <b>{state}</b>. It goes out on {day} at {time} "
    "({zone}).\nChange it with /digest on, /digest off or /digest monday 09:00."
)
# TRANSLATORS: fills {state} in the digest status: the digest is on / off.
DIGEST_ON = N_("on")
DIGEST_OFF = N_("off")
DIGEST_USAGE = N_("Try /digest on, /digest off, or /digest monday 09:00.")
DIGEST_INTRO = N_("<b>Your weekly digest</b>")
# Put before a digest sent again because the first may not have arrived (the bot stopped while
# sending it): it must read well whether or not the convener got the first.
DIGEST_IN_CASE = N_("In case this week's digest didn't reach you, here it is again.")
DIGEST_PREVIEW_HINT = N_("See what this week's digest says, now: /digest preview.")
# The digest says what changed in the week before it: new narratives, indicators, plans due
# for follow-up, the members' check and one next step. Then the matrix picture, as before.
# TRANSLATORS: {community} is a name; {start} and {end} are dates like "1 Dec 2026".
DIGEST_WEEK = N_("<b>{community}</b>, {start} to {end}")
# TRANSLATORS: {narratives} reads like "12 narratives", {members} like "5 members".
DIGEST_NEW = N_("<b>New this week</b>: {narratives} from {members}.")
DIGEST_NEW_NONE = N_("<b>New this week</b>: no narratives.")
DIGEST_NEW_STAGE = N_("• {stage}: {count}")
DIGEST_INDICATORS = N_("<b>Indicators</b>")
# TRANSLATORS: {cycle} is a value cycle's name, like "Applied value".
DIGEST_INDICATOR_NEW = N_("• New: {statement} ({cycle})")
# TRANSLATORS: {narratives} reads like "3 narratives".
DIGEST_INDICATOR_BACKED = N_("• {statement}: {narratives} more as evidence")
DIGEST_INDICATORS_NONE = N_("No indicator was added or backed this week.")
DIGEST_PLANS_DUE = N_P(
    "<b>Plans due for follow-up</b>: {count} in the coming week. I'll ask those members what they did.",
    "<b>Plans due for follow-up</b>: {count} in the coming week. I'll ask those members what they did.")
DIGEST_PLANS_DUE_NONE = N_("<b>Plans due for follow-up</b>: none in the coming week.")
DIGEST_CHECK = N_("<b>Members' check</b>")
# TRANSLATORS: bare numbers: members asked, and of those how many said it rings true or not.
DIGEST_CHECK_LINE = N_("• {statement}: {agreed} of {asked} say it rings true, {disagreed} not for them")
DIGEST_CHECK_NONE = N_("<b>Members' check</b>: no indicator has been checked with members yet.")
DIGEST_NEXT = N_("<b>Next step</b>: {step}")
DIGEST_STEP_EVENT = N_("plan the next event with /newevent, so members are asked again.")
DIGEST_STEP_INDICATORS = N_(
    "write your first value indicators from members' narratives on the dashboard, or adopt one "
    "of the examples there.")
DIGEST_STEP_LINK = N_("link this week's narratives to the indicators they show, on the dashboard.")
DIGEST_STEP_CHECK = N_("share the matrix with members, so they can say whether it rings true.")
DIGEST_STEP_REPORT = N_("download the report for your board from the dashboard's Report tab.")
EVENT_ASK_TITLE = N_("Let's set up an event for <b>{community}</b>. What is it called?")
EVENT_ASK_START = N_(
    "When does it start? Send a date and time like <code>{example}</code> ({zone} time)."
)
EVENT_ASK_DURATION = N_(
    "How long is it? For example <code>90</code> (minutes), <code>1h30</code> or <code>2h</code>."
)
# Said in chat and on the dashboard's forms alike: "give", never "send".
EVENT_BAD_TITLE = N_("Give the event a title of up to 200 characters.")
EVENT_BAD_START = N_("I couldn't read that. Give a date and time like <code>{example}</code>.")
EVENT_NEEDS_TIME = N_("Please add the time it starts, like <code>{example}</code>.")
EVENT_IN_PAST = N_("That time has already passed. Choose a time in the future.")
EVENT_BAD_DURATION = N_(
    "I couldn't read that. Give the length in minutes, like <code>90</code>, or as "
    "<code>1h30</code>."
)
EVENT_CONFIRM = N_("<b>{title}</b>\n{when}, {duration}\n\nShall I create it?")
EVENT_CREATED = N_("Done: <b>{title}</b> is on {when}.")
# Who will be asked about a new event, and when: what `event create`, /newevent and the
# dashboard all say, so an event that reaches nobody never does so silently.
# TRANSLATORS: {members} reads like "12 members"; {when} is a date and time.
ASKING_LATER = N_(
    "Members will be asked about it on {when}: {members} now, and anyone who joins before then."
)
ASKING_LATER_NOBODY_YET = N_(
    "Members will be asked about it on {when}. Nobody can be asked yet: members who join "
    "and agree before then will be."
)
# TRANSLATORS: {members} reads like "1 member" or "12 members".
ASKING_NOW = N_(
    "It has ended, so {members} will be asked about it straight away: those who had joined by "
    "{when}, when its questions fell due. Members who joined later are not asked about it."
)
ASKING_NOBODY_JOINED = N_(
    "Nobody will be asked about it: its questions fell due on {when}, and no member who can be "
    "asked had joined by then. Members who join later are not asked about past events."
)
ASKING_NOBODY_CLOSED = N_(
    "Nobody will be asked about it: it ended too long ago. Its questions fell due on {when} "
    "and closed on {closes}, {days} days later."
)
EVENT_DRAFT_CANCELLED = N_("Okay, I've dropped that event.")
EVENT_DRAFT_EXPIRED = N_("That draft has gone. Send /newevent to start again.")
BTN_CREATE = N_("Create it")
BTN_CANCEL = N_("Cancel")
BTN_CANCEL_EVENT = N_("Yes, cancel it")
BTN_KEEP_EVENT = N_("No, keep it")
EVENTS_TITLE = N_("<b>{community}: events</b>")
EVENTS_UPCOMING = N_("<b>Coming up</b>")
EVENTS_RECENT = N_("<b>Recent</b>")
EVENTS_NONE = N_("No events yet. Create one with /newevent.")
EVENT_LINE_UPCOMING = N_("• {when}: {title}")
EVENT_LINE_RECENT = N_("• {when}: {title}, {answered} of {sent} answered ({rate})")
EVENT_LINE_CANCELLED = N_("• {when}: <s>{title}</s> (cancelled)")
CANCEL_PICK = N_("Which event should I cancel?")
CANCEL_NONE = N_("There are no upcoming events to cancel.")
CANCEL_CONFIRM = N_("Cancel <b>{title}</b> on {when}? Members won't be asked about it.")
EVENT_CANCELLED = N_("Cancelled <b>{title}</b>. Nobody will be asked about it.")
EVENT_GONE = N_("That event can't be cancelled any more.")
EVENT_CANT_MOVE = N_("That event has started or was cancelled, so it can't be moved any more.")
INVITE = N_(
    "Invite link for <b>{community}</b>:\n{link}\n\nShare it, or show the QR code on a slide. "
    "People who open it read what's kept and agree before joining."
)
INVITE_CAPTION = N_("Scan to join {community}")
# After the invite link, when email is set up.
INVITE_BY_EMAIL = N_("People without Telegram can join by email here:\n{link}")
CHECKIN = N_(
    "Check-in for <b>{title}</b>:\n{link}\n\nMembers who open it during the event are marked as "
    "there, and I'll ask them about it afterwards."
)
CHECKIN_CAPTION = N_("Scan to check in: {title}")
CHECKIN_NONE = N_("There's no event on right now. Check-in opens 30 minutes before an event starts.")
CHECKED_IN = N_("You're checked in to <b>{title}</b>. I'll ask you about it afterwards.")
CHECKIN_CLOSED = N_("Check-in for that event has closed. Thank you all the same!")
CHECKIN_JOIN_FIRST = N_("To check in, please join {community} first, then open the check-in link again.")
MEMBERS_COUNTS = N_(
    "<b>{community}: members</b>\n"
    "Joined: {joined}\nAgreed to the current information: {consented}\n"
    "Paused: {paused}\nUnreachable (blocked the bot): {unreachable}"
)
SETTINGS_SHOW = N_(
    "<b>{community}: scheduling</b>\n"
    "Ask members {delay} minutes after an event ends (/settings delay 120)\n"
    "Remind them after {reminder} hours (/settings reminder 48)\n"
    "Keep questions open for {window} days (/settings window 7)\n"
    "Quiet hours {quiet_start} to {quiet_end}, {zone} time (/settings quiet 20:00-08:00)\n"
    "Weekly digest on {day} at {time} (/digest monday 09:00)"
)
# TRANSLATORS: {language} is a language's name in itself, like "Español".
SETTINGS_LANGUAGE = N_("Members whose own language I don't speak are asked in {language}.")
SETTINGS_SAVED = N_("Saved.")
SETTINGS_USAGE = N_(
    "Try /settings delay 120 (minutes, or 2h; up to 7d), /settings reminder 48 (hours, or 2d), "
    "/settings window 7 (days, 1 to 60), /settings quiet 20:00-08:00 or /settings quiet off."
)
WEEKDAYS = [N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday")]
DIGEST_NOT_CONVENER = N_("The weekly digest goes to conveners; you aren't one of this community's.")
EVENT_KEPT = N_("Okay, <b>{title}</b> stays on.")

# Researchers' exports and members' rights (/export, /mydata, /withdraw)
EXPORT_CHOOSE = N_(
    "Which format would you like? Everything is pseudonymised.\n"
    "To filter, send for example:\n"
    "<code>/export csv community=Name since=2026-09-01 until=2026-12-31 cycle=applied</code>"
)
EXPORT_USAGE = N_(
    "Usage: <code>/export csv|xlsx|jsonl|qdpx [community=Name] [since=YYYY-MM-DD] "
    "[until=YYYY-MM-DD] [cycle=immediate|potential|applied|realised|reframing]</code>"
)
# The problem is an English sentence from the export filter's parser, until that goes through here too.
# TRANSLATORS: {problem} is a sentence saying what was wrong with the filter.
EXPORT_BAD = Composed(N_("{problem}."), " ", EXPORT_USAGE)
EXPORT_NO_COMMUNITY = N_("I couldn't find a community called {community} among those you can export.")
EXPORT_WORKING = N_("Preparing your {format} export…")
EXPORT_READY = N_("Narratives: {rows}, pseudonymised ({format}). This export is in the audit log.")
EXPORT_TOO_BIG = N_(
    "That export (narratives: {rows}) is larger than Telegram lets me send. Narrow it with "
    "community=, since=, until= or cycle=, or ask an admin to run <code>valuestory export</code>."
)
# TRANSLATORS: the export formats, on buttons under /export and in "Preparing your {format} export…".
EXPORT_FORMATS = {
    "csv": N_("CSV (Excel)"),
    "xlsx": N_("Excel workbook"),
    "jsonl": N_("JSON Lines"),
    "qdpx": N_("REFI-QDA (.qdpx)"),
}
# What was wrong with an /export filter: each fills {problem} in EXPORT_BAD.
# TRANSLATORS: {value} is what the person typed, quoted.
EXPORT_NOT_UNDERSTOOD = N_("I didn't understand {value}")
EXPORT_UNTIL_BEFORE_SINCE = N_("until comes before since")
# TRANSLATORS: {value} is what the person typed, quoted; keep the date's form 2026-09-01.
EXPORT_BAD_DATE = N_("{value} is not a date like 2026-09-01")
# TRANSLATORS: {cycles} and {formats} are lists of words to type as they are (csv, xlsx...).
EXPORT_BAD_CYCLE = N_("the cycle must be one of {cycles}")
EXPORT_BAD_FORMAT = N_("the format must be one of {formats}")
MYDATA_NONE = N_("I don't hold anything about you. There is nothing to send.")
MYDATA_READY = N_("Here is everything I hold about you. To erase it, send /withdraw.")
# /mydata's file, line by line: a record the member keeps, in their language.
# TRANSLATORS: the file's headings are in capitals in English; write them as your language does.
MYDATA_TITLE = N_("Everything valuestory holds about you")
MYDATA_PREPARED = N_("Prepared {when}")
MYDATA_ABOUT_YOU = N_("ABOUT YOU")
MYDATA_TELEGRAM_ID = N_("Telegram user id: {id}")
MYDATA_CHAT_ID = N_("Chat id: {id}")
MYDATA_EMAIL = N_("Email address: {address}")
# On the member's own page, which shows no ids or addresses: what is kept, and why.
MYDATA_TELEGRAM_KEPT = N_("Your Telegram account, to reach you there (/mydata in Telegram shows "
                          "its ids)")
MYDATA_EMAIL_KEPT = N_("Your email address, to write to you (shown to nobody, here neither)")
MYDATA_FIRST_JOINED = N_("First joined: {when}")
# TRANSLATORS: {answer} is "yes" or "no" (MYDATA_YES, MYDATA_NO).
MYDATA_PAUSED_EVERYWHERE = N_("Paused everywhere: {answer}")
MYDATA_LANGUAGE = N_("Language I write to you in: {language}")
MYDATA_NO_NAME = N_("We keep no name or username.")
MYDATA_CONSENT = N_("CONSENT")
MYDATA_AGREED = N_("Agreed to participant information version {version} ({language}) on {when}")
MYDATA_NONE_YET = N_("(none)")
MYDATA_COMMUNITY = N_("COMMUNITY: {community}")
MYDATA_PSEUDONYM = N_("Your pseudonym here: {pseudonym} (researchers and conveners see only this)")
MYDATA_JOINED = N_("Joined: {when}")
MYDATA_PAUSED = N_("Paused: {answer}")
MYDATA_NO_QUESTIONS = N_("No questions asked yet.")
# TRANSLATORS: {kind} and {status} are words from the two lists below; {due} and {finished} are times.
MYDATA_ASKED = N_("Asked {kind}, {due}. Now: {status}. Finished: {finished}")
MYDATA_ATTENDED = N_("Attended: {answer}")
# TRANSLATORS: {question} is a question's short label, like "What you gained"; {values} the
# options chosen, as their buttons read.
MYDATA_CHOICE = N_("Your choice for {question}: {values}")
# TRANSLATORS: {label} is a value cycle, maybe with a kind of capital, like "applied, social".
MYDATA_QUESTION = N_("Question ({label}): {question}")
MYDATA_ASKED_IN = N_("Asked in: {language}")
MYDATA_ANSWER = N_("Your answer, version {version}, given {when}:")
MYDATA_ANSWER_REVISED = N_("Your answer, version {version}, given {when}, revised {revised}:")
MYDATA_EARLIER = N_("Earlier version {version}, written {written}, replaced {replaced}:")
# TRANSLATORS: {status} is a word from MYDATA_VOICE_STATUS; {recording} says whether it was kept.
MYDATA_VOICE_NOTE = N_("Voice note for {question}, sent {when}: {status}; {recording}.")
MYDATA_VOICE_NOTE_TIMED = N_(
    "Voice note for {question}, sent {when}, {seconds} s: {status}; {recording}."
)
MYDATA_RECORDING_KEPT = N_("recording kept ({file})")
MYDATA_RECORDING_NOT_KEPT = N_("recording not kept")
# The members' check in /mydata: when the matrix was shared with them, and each statement.
MYDATA_CHECK = N_("Asked whether the matrix's statements ring true for you, {when}. Now: {status}")
# TRANSLATORS: {statement} is the conveners' statement as written; {answer} one of the words below.
MYDATA_CHECK_ANSWER = N_("“{statement}”: {answer}")
MYDATA_CHECK_ANSWERS = {
    "agreed": N_("rings true"),
    "disagreed": N_("not for me"),
    "skipped": N_("skipped"),
    "unanswered": N_("not answered"),
}
MYDATA_CHECK_STATUS = {
    "scheduled": N_("not sent yet"),
    "open": N_("open"),
    "done": N_("answered"),
    "closed": N_("closed"),
    "missed": N_("missed"),
    "cancelled": N_("cancelled"),
}
MYDATA_ERASE = N_("To erase all of this, send /withdraw.")
MYDATA_YES = N_("yes")
MYDATA_NO = N_("no")
MYDATA_PROMPT_KINDS = {
    "post_event": N_("right after the event"),
    "followup_applied": N_("weeks later, what you did with it"),
    "followup_reframing": N_("months later, whether success looks different"),
}
MYDATA_PROMPT_STATUS = {
    "scheduled": N_("scheduled"),
    "open": N_("still open"),
    "completed": N_("completed"),
    "stopped": N_("stopped"),
    "not_attended": N_("you weren't there"),
    "closed": N_("closed"),
    "missed": N_("missed"),
    "cancelled": N_("cancelled"),
}
MYDATA_VOICE_STATUS = {
    "received": N_("received"),
    "transcribed": N_("transcribed"),
    "kept": N_("kept"),
    "replaced": N_("replaced"),
    "discarded": N_("discarded"),
    "failed": N_("failed"),
}
CAPITALS = {
    # TRANSLATORS: a kind of capital a question evidences, in the middle of a sentence.
    "human": N_("human"),
    "social": N_("social"),
    "tangible": N_("tangible"),
    "reputational": N_("reputational"),
    "learning": N_("learning"),
}
WITHDRAW_NOTHING = N_("You're not part of any community here, so there is nothing to erase.")
WITHDRAW_NOT_THERE = N_("You're not part of that community, so there is nothing to erase there.")
WITHDRAW_CHOOSE = N_("Which community would you like to leave? What you shared there will be erased.")
# TRANSLATORS: fills {where} in "Leave {where}?".
WITHDRAW_EVERYWHERE = N_("every community")
WITHDRAW_CONFIRM = N_(
    "<b>Leave {where}?</b>\n\n"
    "This erases your answers, their earlier versions and your pseudonym there, and stops "
    "all questions. It can't be undone. Exports already taken by researchers can't be recalled."
)
BTN_WITHDRAW_YES = N_("Yes, erase it")
BTN_WITHDRAW_KEEP = N_("No, keep it")
BTN_WITHDRAW_ALL = N_("All of them")
WITHDRAW_KEPT = N_("Nothing has changed. Thank you for staying.")
WITHDRAWN_ONE = N_(
    "Done. You've left {community} and what you shared there has been erased. "
    "Your other communities are unchanged."
)
WITHDRAWN_ALL = N_(
    "Done. Everything you shared has been erased and I won't message you again. "
    "Thank you for taking part."
)

# --- Running as a service: retention ---------------------------------------------------------
# TRANSLATORS: {months} reads like "12 months", {count} like "5 answers"; {date}, {cutoff} are dates.
RETENTION_NOTICE = N_(
    "<b>Heads-up about {community}</b>\n\n"
    "This community keeps stories for {months}. On {date} I'll erase {count} "
    "given before {cutoff}, and record that in the audit log.\n\n"
    "If you still need them, export them before then, or ask your admin to keep stories longer."
)
# Put before a retention notice sent again because the first may not have arrived (the bot
# stopped while sending it): it must read well whether or not the convener got the first.
# The command line's `community retention`, said in the community's language.
# TRANSLATORS: {months} reads like "6 months".
RETENTION_SET = N_("{community} keeps answers for {months}, then erases them.")
RETENTION_UNLIMITED = N_("{community} keeps answers until members withdraw them.")
RETENTION_IN_CASE = N_("In case my last message didn't reach you, here it is again:")

# Scheduling: reminders, pausing and resuming
# TRANSLATORS: {minutes} reads like "5 minutes".
REMINDER = N_(
    "A gentle nudge: I'd still love to hear what you got from <b>{event}</b>. "
    "It takes about {minutes}. Tap Carry on when you're ready."
)
# Sent once when the message opening a prompt may not have arrived (the bot stopped while sending
# it): it must read well whether or not the member got that message.
# TRANSLATORS: {minutes} reads like "5 minutes".
IN_CASE = N_(
    "In case my message about <b>{event}</b> didn't reach you: I'd love to hear what you got "
    "from it. It takes about {minutes}. Tap Carry on when you're ready."
)
PAUSE_WHICH = N_("Which community should I stop messaging you about?")
RESUME_WHICH = N_("Which community should I message you about again?")
BTN_ALL_COMMUNITIES = N_("All of them")
PAUSED_ONE = N_(
    "Paused. I won't message you about {community} until you send /resume. "
    "What you've shared is kept."
)
PAUSED_ALL = N_(
    "Paused. I won't message you about any community until you send /resume. "
    "What you've shared is kept."
)
RESUMED_ONE = N_("Welcome back! I'll message you after {community}'s next event.")
RESUMED_ALL = N_("Welcome back! I'll message you after your communities' next events.")
NOT_PAUSED = N_("You're not paused, so there's nothing to resume. I'll message you after your next event.")
ALREADY_PAUSED = N_("You're already paused. Send /resume whenever you'd like to hear from me again.")
PAUSE_NO_COMMUNITY = N_(
    "You're not part of a community yet, so I won't message you. "
    "To join, open the invite link your convener shared with you."
)

# --- Counts in words, durations and conveners' input (shared by every area) -------------
def plural(n: int, word: str) -> str:
    """'1 story', '2 stories': a count with its noun, in English (`In(language).plural` for others)."""
    counted: Plural | None = COUNTS.get(word)
    return counted(n) if counted else f"{n} {word if n == 1 else word + 's'}"


# TRANSLATORS: a response rate that cannot be worked out (nobody was asked).
RATE_NONE = N_("n/a")
# TRANSLATORS: a length of time, short, as on a timetable.
DURATION_HOURS_MINUTES = N_("{hours} h {minutes} min")
DURATION_HOURS = N_("{hours} h")
DURATION_MINUTES = N_("{minutes} min")
EVENT_TOO_FAR = N_(
    "That's further off than I can plan for. Please send a time within the next two years."
)
SETTINGS_REMINDER_TOO_LATE = N_(
    "The reminder has to go out before the questions close. Make the reminder shorter or keep "
    "questions open for longer (/settings window)."
)
MATRIX_PNG_NO_EVIDENCE = N_("no evidence yet")
MATRIX_PNG_GAP = N_("Nothing yet. {ask}")
MATRIX_PNG_NEW = N_("{new} new")
MATRIX_PNG_PARTICIPATION = N_(
    "{events} · {sent} asked · {attended} attended · {answered} answered ({rate}) · "
    "{completed} completed")
MATRIX_PNG_SUBTITLE = N_("Value Creation Matrix, {period}: {narratives} in {stories}, from {members}")
MATRIX_PNG_EVENTS_HEADING = N_("Event")
MATRIX_PNG_TOTAL = N_("All events")
MATRIX_PNG_EARLIER = N_("{events} before, together")
MATRIX_PNG_OTHER = N_("Other events")
MATRIX_PNG_NO_EVENTS = N_("No events in this period yet.")
MATRIX_PNG_EXCERPTS = N_("In members' words")
MATRIX_PNG_TRACED = N_("One story across cycles: {pseudonym}, from {event}")
# TRANSLATORS: the plans' column heading on the matrix picture: one short word.
MATRIX_PNG_PLANS = N_("Plans")
MATRIX_PNG_INDICATORS = N_("Value indicators")
# TRANSLATORS: under a statement on the picture: {members} reads like "3 members", {stories}
# like "4 stories".
MATRIX_PNG_INDICATOR = N_("{members} · {stories}")
# TRANSLATORS: under a statement on the picture, short: bare numbers of members who said it
# rings true for them, and of members asked.
MATRIX_PNG_INDICATOR_CHECK = N_("{agreed} of {asked} agree")
# TRANSLATORS: {count} is a bare number of statements left out of a narrow column.
MATRIX_PNG_INDICATORS_MORE = N_("+{count} more")
MATRIX_PNG_NO_INDICATORS = N_(
    "No value indicators yet: add them on the dashboard's matrix page, each backed by members' "
    "stories."
)
# TRANSLATORS: bare numbers; "done" means the member said what they did with the plan.
MATRIX_PNG_PIPELINE = N_(
    "Plans: {made} made · {followed} followed up · {done} done · {difference} made a difference")

# The report a board reads (`valuestory report`, the dashboard's Report page): PDF or DOCX, in
# the community's language. Plain text: the typesetter sets the headings, nothing here is HTML.
REPORT_TITLE = N_("Value Creation Report")
# TRANSLATORS: {period} reads like "the last 30 days" or "all time".
REPORT_PERIOD = N_("Covering {period}")
# TRANSLATORS: {date} is a date like "7 Dec 2026".
REPORT_MADE = N_("Made on {date}")
REPORT_PSEUDONYMS = N_("Members appear under pseudonyms only. A member who withdrew is in no count.")
REPORT_PARTICIPATION = N_("Who took part")
REPORT_EVENTS = N_("Events")
REPORT_ASKED = N_("Asked")
REPORT_ATTENDED = N_("Attended")
REPORT_ANSWERED = N_("Answered")
REPORT_COMPLETED = N_("Completed")
REPORT_RESPONSE_RATE = N_("Response rate")
REPORT_MATRIX = N_("The Value Creation Matrix")
REPORT_MATRIX_INTRO = N_(
    "Each value indicator is a statement about value the community created, standing on members' "
    "stories: the numbers under it are the narratives, stories and members behind it.")
# TRANSLATORS: under a cycle's name: its evidence in the period. {narratives} reads like
# "12 narratives", {members} like "5 members".
REPORT_CYCLE_EVIDENCE = N_("{narratives} from {members}")
# TRANSLATORS: {narratives}, {stories}, {members} read like "3 narratives", "2 stories", "2 members".
REPORT_INDICATOR_EVIDENCE = N_("{narratives} · {stories} · {members}")
# TRANSLATORS: the members' check of an indicator; bare numbers.
REPORT_INDICATOR_CHECK = N_("Members' check: {asked} asked, rings true for {agreed}, not for {disagreed}")
REPORT_INDICATOR_UNCHECKED = N_("Not yet checked with members")
REPORT_NO_INDICATORS = N_("No indicators yet")
REPORT_NO_INDICATORS_AT_ALL = N_(
    "No value indicators have been written yet. Conveners and researchers write them on the "
    "dashboard, from members' narratives.")
REPORT_PLANS = N_("Plans followed")
REPORT_STORIES = N_("Value-creation stories")
REPORT_STORIES_CHOSEN = N_("Chosen by the community's conveners and researchers.")
REPORT_STORIES_FURTHEST = N_("The stories that reached furthest across the cycles.")
REPORT_NO_STORIES = N_("No story has reached applied value or beyond yet.")
# TRANSLATORS: a story's heading: a member's pseudonym and the event the story is about.
REPORT_STORY = N_("{pseudonym}, about {event}")
REPORT_PICTURE = N_("The matrix at a glance")
REPORT_METHOD = N_("How this was gathered")
# TRANSLATORS: {minutes} reads like "120 minutes"; {days}, {applied} and {reframing} are numbers of days.
REPORT_METHOD_ASKED = N_(
    "Members were asked in a short private chat on Telegram, {minutes} after each event ended, "
    "what they got out of it, in their own words; the questions stayed open for {days} days. "
    "About {applied} days after the event they were asked what they had done with it, and about "
    "{reframing} days after whether it had changed how success is judged.")
REPORT_METHOD_CYCLES = N_(
    "Each answer is filed under the value cycle its question asks about, after Wenger, Trayner "
    "and de Laat's Value Creation Framework: immediate, potential, applied, realised and "
    "reframing value. What members said they might do is a plan, counted apart: applied value "
    "counts only what they did.")
REPORT_METHOD_COUNTS = N_(
    "A narrative is one member's answer to one question. A story is one member's thread about one "
    "event, follow-ups included. Asked counts the members asked about the period's events; "
    "attended, those of them who said they took part; answered, those who gave at least one "
    "narrative; completed, those who reached the end. The response rate is answered divided by "
    "asked.")
REPORT_METHOD_INDICATORS = N_(
    "An indicator's counts come from the narratives linked to it as evidence, never typed in. In "
    "the members' check, members were sent the indicators and answered each with Rings true, Not "
    "for me or Skip.")
REPORT_METHOD_PLANS = N_(
    "Plans made: stories in which a member said what they might do. Followed up: of those, the "
    "ones whose member was asked weeks later what they did. Reported done: the member said what "
    "they did. Made a difference: the member said what difference it made.")
# The dashboard's Report page.
DASHBOARD_REPORT_HEADING = N_("Report")
DASHBOARD_REPORT_INTRO = N_(
    "A report for a board or funder: who took part, the Value Creation Matrix with its "
    "indicators, the plans followed, a few stories across cycles, the matrix picture and how it "
    "was gathered. In the community's language.")
DASHBOARD_REPORT_PERIOD = N_("Period")
DASHBOARD_REPORT_PERIOD_HINT = N_("Empty for all time, or 30d, 8w, 2026-09-01.")
DASHBOARD_REPORT_FORMAT = N_("Format")
DASHBOARD_REPORT_PDF = N_("PDF, to read and print")
DASHBOARD_REPORT_DOCX = N_("Word (DOCX), to edit")
DASHBOARD_REPORT_DOWNLOAD = N_("Download the report")
DASHBOARD_REPORT_BAD_PERIOD = N_(
    "I couldn't read that period. Try 30d, 8w or 2026-09-01, or leave it empty for all time.")
DASHBOARD_REPORT_STORIES = N_("Stories in the report")
DASHBOARD_REPORT_CHOSEN = N_(
    "These stories are featured. Change them on each story's page.")
DASHBOARD_REPORT_FURTHEST = N_(
    "No story is featured, so the report traces the furthest-reaching ones. Feature up to three "
    "on their pages.")
DASHBOARD_FEATURE = N_("Feature in the report")
DASHBOARD_UNFEATURE = N_("Stop featuring it")
DASHBOARD_FEATURED = N_("This story is featured in the report.")
DASHBOARD_FEATURE_FULL = N_(
    "Three stories are featured already. Stop featuring one of them first.")


# --- The dashboard's pages, in the convener's or researcher's language -----------------------
# Their own language as a member, else the community's (`access.View.language`). Texts with
# tags are HTML: keep the tags, and any href="{...}" as it is.
DASHBOARD_TITLE = N_("Dashboard")
DASHBOARD_SKIP = N_("Skip to the content")
DASHBOARD_SIGN_OUT = N_("Sign out")
# TRANSLATORS: the dashboard's tabs, one or two words each.
DASHBOARD_TABS = {
    "matrix": N_("Matrix"),
    "narratives": N_("Narratives"),
    "stories": N_("Stories"),
    "events": N_("Events"),
    "coding": N_("Coding"),
    "export": N_("Export"),
}
# What each cycle holds, under its name on the matrix page.
DASHBOARD_CYCLE_HINTS = {
    "immediate": N_("How the sessions went: what members enjoyed, felt and noticed."),
    "potential": N_("What members took away: skills, contacts, tools, standing, ways of learning."),
    "applied": N_("What members did differently because of it: done, not planned."),
    "realised": N_("The difference it made: results for members, their teams, the people they "
                   "serve."),
    "reframing": N_("New ways of seeing: changed rules, strategies, or what success means."),
}
# The matrix page: first steps, while it is empty.
DASHBOARD_START_HEADING = N_("Getting started")
DASHBOARD_START_INTRO = N_(
    "Nothing here yet: the matrix fills as members tell their stories. Three steps:")
DASHBOARD_START_INVITE = N_(
    "<strong>Invite members.</strong> Send /invite to the bot in Telegram for the link and a QR "
    "code to share.")
# TRANSLATORS: keep <a href="{events}">...</a> around the Events page's name.
DASHBOARD_START_PLAN = N_(
    "<strong>Plan an event.</strong> On the <a href=\"{events}\">Events</a> page, or /newevent in "
    "Telegram. Members are asked about it afterwards.")
DASHBOARD_START_PLAN_ASK = N_(
    "<strong>Plan an event.</strong> A convener plans it (/newevent). Members are asked about it "
    "afterwards.")
DASHBOARD_START_CHOOSE = N_(
    "<strong>Choose what value to look for.</strong> Adopt a few of the example indicators "
    "below, or write your own.")
# The matrix page's value indicators, cycle by cycle.
DASHBOARD_INDICATORS_NOTE = N_(
    "What value members' stories show, cycle by cycle. Each indicator counts the narratives, "
    "stories and members behind it (all time); open one to link evidence, pick quotes or see its "
    "history.")
DASHBOARD_SHARE = N_("Ask members to check these")
DASHBOARD_SHARE_NOTE = N_(
    "Each member who agreed to take part gets the indicators in Telegram, in their own language, "
    "and says whether each rings true for them.")
DASHBOARD_NO_INDICATORS = N_("No indicators yet.")
# TRANSLATORS: {count} is a bare number of example indicators.
DASHBOARD_EXAMPLES = N_("Examples to adopt ({count})")
DASHBOARD_ADOPT = N_("Adopt")
DASHBOARD_LEAVE = N_("Leave")
# TRANSLATORS: read out by screen readers on a button; {statement} is an indicator.
DASHBOARD_ADOPT_LABEL = N_("Adopt: {statement}")
DASHBOARD_LEAVE_LABEL = N_("Leave: {statement}")
DASHBOARD_EXAMPLES_NOTE = N_("Adopt the ones that fit; leave the rest and they are not offered again.")
DASHBOARD_WRITE_INDICATOR = N_("Write an indicator")
DASHBOARD_STATEMENT = N_("Statement")
# TRANSLATORS: an example in an empty field; {statement} is an example indicator.
DASHBOARD_FOR_EXAMPLE = N_("e.g. {statement}")
DASHBOARD_SAMPLE_STATEMENT = N_("Members have more confidence")
DASHBOARD_CAPITAL_OPTIONAL = N_("Capital (optional)")
# TRANSLATORS: the first choice of a list: no kind of capital.
DASHBOARD_NO_CAPITAL = N_("None")
# TRANSLATORS: {cycle} is a cycle's name in lower case, like "immediate value".
DASHBOARD_ADD_TO = N_("Add to {cycle}")
# TRANSLATORS: {count} is a bare number of example indicators.
DASHBOARD_EXAMPLES_LEFT = N_("Examples you left ({count})")
# TRANSLATORS: {count} is a bare number of indicators.
DASHBOARD_RETIRED_AND_MERGED = N_("Retired and merged ({count})")
# TRANSLATORS: what became of an indicator that is off the matrix.
DASHBOARD_MERGED = N_("merged")
DASHBOARD_RETIRED = N_("retired")
# TRANSLATORS: {capital} is a kind of capital, like "social".
DASHBOARD_CAPITAL = N_("{capital} capital")
DASHBOARD_MOVE_UP = N_("Move up")
DASHBOARD_MOVE_DOWN = N_("Move down")
DASHBOARD_MOVE_UP_LABEL = N_("Move up: {statement}")
DASHBOARD_MOVE_DOWN_LABEL = N_("Move down: {statement}")
# TRANSLATORS: bare numbers: members asked whether the statement rings true for them, and what
# they said. Worded so that no verb agrees with a count.
DASHBOARD_CHECK = N_("Members' check: {asked} asked · rings true for {agreed} · not for {disagreed}")
DASHBOARD_CHECK_NONE = N_("Members' check: not asked yet")
# The matrix page's counts: narratives per event and cycle.
DASHBOARD_COUNTS_HEADING = N_("Narratives per event and cycle")
# TRANSLATORS: {narratives} reads like "12 narratives", {members} like "3 members", {stories}
# like "2 stories"; {period} like "the last 30 days" or "all time".
DASHBOARD_MATRIX_SUMMARY = N_(
    "{narratives} from {members}, {period}. {stories} reached realised or reframing value.")
DASHBOARD_MATRIX_CAPTION = N_("Value Creation Matrix, {period}: narratives per event and cycle")
# TRANSLATORS: read out by screen readers on a count: {narratives} reads like "3 narratives",
# {cycle} is a cycle's name in lower case, {event} an event's title.
DASHBOARD_CELL_LABEL = N_("{narratives}, {cycle}, about {event}")
DASHBOARD_TOTAL_LABEL = N_("{narratives}, {cycle}, in all")
DASHBOARD_NO_EVENTS_YET = N_("No events yet.")
DASHBOARD_NO_EVENTS_IN_PERIOD = N_("No events in this period.")
DASHBOARD_PLAN_ONE = N_("<a href=\"{events}\">Plan one</a>: members are asked about it afterwards.")
DASHBOARD_TOTAL = N_("Total")
DASHBOARD_SHADING_LABEL = N_("How the counts are shaded")
DASHBOARD_SHADING = N_("Shading:")
# TRANSLATORS: the two ends of the shading's scale.
DASHBOARD_FEWEST = N_("fewest")
DASHBOARD_MOST = N_("most")
DASHBOARD_SHADING_MEANS = N_("narratives about one event in one cycle; plans in orange.")
# TRANSLATORS: {period} reads like "the last 30 days" or "all time".
DASHBOARD_TOTAL_WHY = N_(
    "* Why the Total is higher than its event rows: the Total counts every narrative answered "
    "{period}, whatever event it is about; the rows show only the events that started in the "
    "period.")
# TRANSLATORS: {cycle} is a cycle's name; {narratives} reads like "3 narratives".
DASHBOARD_TOTAL_EARLIER = N_("{cycle}: {narratives} about earlier events")
# TRANSLATORS: {events} reads like "4 events", {members} like "2 members".
DASHBOARD_PARTICIPATION = N_(
    "{events}; {members} the bot can't reach. Each count opens its narratives.")
# What the matrix page says after a change made from it.
DASHBOARD_MATRIX_DONE = {
    "added": N_("The indicator is on the matrix."),
    "adopted": N_("The example is on the matrix."),
    "left": N_("That example won't be offered again. It is listed under the examples you left."),
    "retired": N_("The indicator is off the matrix. You can restore it below."),
    "merged": N_("Merged: its evidence now backs the indicator it joined."),
    "shared": N_("Shared: members who can be asked get the indicators to check from the "
                 "scheduler, outside quiet hours. Each indicator's members' check fills in as "
                 "they answer."),
}
# The period form on the matrix and narratives pages.
DASHBOARD_PERIOD_HINT = N_("30d, 8w or a date like 2026-09-01; empty for all time")
DASHBOARD_SHOW = N_("Show")
# The events page (conveners): planning, moving and cancelling events, inviting by email, and a
# member's own link.
DASHBOARD_PLAN_EVENT = N_("Plan an event")
DASHBOARD_EVENT_TITLE = N_("Title")
DASHBOARD_EVENT_STARTS = N_("Starts")
# TRANSLATORS: {zone} is a time zone's name, like Europe/Madrid; keep the date's form.
DASHBOARD_EVENT_STARTS_HINT = N_("Date and time in {zone}, like 2026-12-03 14:00")
DASHBOARD_EVENT_LENGTH = N_("Length")
# TRANSLATORS: keep 90 and 1h30 as they are: the form reads them.
DASHBOARD_EVENT_LENGTH_HINT = N_("Minutes, like 90, or 1h30")
DASHBOARD_PLAN_THE_EVENT = N_("Plan the event")
DASHBOARD_UPCOMING = N_("Upcoming")
DASHBOARD_NO_UPCOMING = N_("No upcoming events.")
# TRANSLATORS: what became of an event.
DASHBOARD_CANCELLED = N_("cancelled")
DASHBOARD_NEW_START = N_("New start")
DASHBOARD_MOVE = N_("Move")
DASHBOARD_CANCEL_EVENT = N_("Cancel this event")
DASHBOARD_CANCEL_MEANS = N_("Nobody will be asked about it.")
# TRANSLATORS: {title} is the event's title.
DASHBOARD_CANCEL_YES = N_("Yes, cancel {title}")
DASHBOARD_PAST = N_("Past")
DASHBOARD_NO_PAST = N_("No past events yet.")
# TRANSLATORS: bare numbers of members; {rate} is a percentage.
DASHBOARD_EVENT_RATE = N_("asked {sent}, answered {answered}, response rate {rate}")
DASHBOARD_INVITE_HEADING = N_("Invite members by email")
DASHBOARD_INVITE_INTRO = N_(
    "For members without Telegram: each gets an email with their own link, where they read the "
    "participant information and say whether they'd like to take part, and after each event they "
    "are asked by email. Their addresses are shown to no one.")
DASHBOARD_ADDRESSES = N_("Email addresses")
# TRANSLATORS: keep the language codes es, pl, ar as they are: the form reads them.
DASHBOARD_ADDRESSES_HINT = N_(
    "One on each line; after one, a comma and a language (es, pl, ar) if it isn't the community's")
DASHBOARD_INVITE = N_("Invite")
DASHBOARD_MEMBER_LINK_HEADING = N_("A member's own link")
DASHBOARD_MEMBER_LINK_INTRO = N_(
    "A member can answer in a browser through a link of their own. Make a new one for them (it is "
    "shown here once, and their older links stop working), or stop their links if one was shared.")
DASHBOARD_PSEUDONYM = N_("Pseudonym")
DASHBOARD_PSEUDONYM_HINT = N_("Like P-7K2Q, as the exports show it")
DASHBOARD_MAKE_LINK = N_("Make a new link")
DASHBOARD_STOP_LINKS = N_("Stop their links")
# The home page, narratives and stories.
DASHBOARD_HOME = N_("Your communities")
DASHBOARD_HOME_NONE = N_("You have no community to look at yet.")
DASHBOARD_STORIES_INTRO = N_("The newest stories that reached applied value or beyond.")
DASHBOARD_STORIES_NONE = N_("No story has reached applied value yet.")
# TRANSLATORS: a story's name: {pseudonym} reads like "P-7K2Q", {event} is an event's title.
DASHBOARD_STORY_ABOUT = N_("{pseudonym} about {event}")
# TRANSLATORS: {when} is a date and time.
DASHBOARD_EVENT_WAS = N_("The event was on {when}.")
# TRANSLATORS: said of an answer the member changed after giving it.
DASHBOARD_REVISED = N_("revised")
DASHBOARD_EVIDENCE_OF = N_("Evidence of…")
DASHBOARD_WHOLE_STORY = N_("Whole story")
DASHBOARD_CODE = N_("Code")
DASHBOARD_THEIR_NARRATIVES = N_("This member's narratives about this event")
# A plan is not applied value: its card says so in plain words, not by the cycle's name.
DASHBOARD_A_PLAN = N_("A plan: what they might do, not done yet")
# TRANSLATORS: a narrative's kind: {cycle} is a cycle's name, {capital} a kind of capital.
DASHBOARD_CYCLE_CAPITAL = N_("{cycle}, {capital} capital")
DASHBOARD_CYCLE = N_("Cycle")
DASHBOARD_CAPITAL_FIELD = N_("Capital")
# TRANSLATORS: the first choice of a filter: no filter.
DASHBOARD_ANY = N_("Any")
DASHBOARD_PERIOD_SHORT_HINT = N_("30d, 8w or 2026-09-01")
DASHBOARD_WORDS = N_("Words")
DASHBOARD_FILTER = N_("Filter")
DASHBOARD_EXPORT_LIKE_THESE = N_("Export narratives like these")
DASHBOARD_NO_NARRATIVES = N_("No narratives match.")
DASHBOARD_NO_NARRATIVES_HERE = N_("No narratives match on this page.")
DASHBOARD_NEWEST_FIRST = N_("Narratives, newest first")
DASHBOARD_PAGES = N_("Pages")
DASHBOARD_NEWEST = N_("Newest")
DASHBOARD_OLDER = N_("Older")
# An indicator's own page: its evidence, members' comments, editing and history.
DASHBOARD_INDICATOR = N_("Indicator")
DASHBOARD_BACK_TO_MATRIX = N_("← Matrix")
# What the indicator's page says after a change made on it.
DASHBOARD_INDICATOR_DONE = {
    "added": N_("The indicator is on the matrix."),
    "adopted": N_("The example is on the matrix."),
    "merged": N_("Merged: the evidence of both now backs this one."),
    "edit": N_("Saved."),
    "link": N_("Linked."),
    "unlink": N_("Taken out of its evidence."),
    "quotes": N_("Quotes chosen."),
    "restore": N_("It is back on the matrix."),
}
DASHBOARD_SAVED = N_("Saved.")
# TRANSLATORS: keep <a href="{link}">...</a> around "another indicator".
DASHBOARD_MERGED_INTO = N_(
    "Merged into <a href=\"{link}\">another indicator</a>. Restore it to put it back on the matrix.")
DASHBOARD_EVIDENCE = N_("Evidence")
# TRANSLATORS: {count} is a bare number.
DASHBOARD_QUOTES_NOTE = N_("Tick one or two to show as quotes with the indicator (at most {count}).")
DASHBOARD_SHOW_AS_QUOTE = N_("Show as a quote")
DASHBOARD_TAKE_OUT = N_("Take out")
# TRANSLATORS: read out by screen readers; {id} is a narrative's number.
DASHBOARD_TAKE_OUT_LABEL = N_("Take narrative {id} out of the evidence")
DASHBOARD_SAVE_QUOTES = N_("Save quotes")
DASHBOARD_DOWNLOAD_QUOTES = N_("Download these narratives (CSV, pseudonyms only)")
# TRANSLATORS: keep <a href="{link}">...</a> around "the narratives"; “Evidence of…” is the
# narratives' link of that name.
DASHBOARD_NO_EVIDENCE = N_(
    "No evidence yet. Open <a href=\"{link}\">the narratives</a> and choose “Evidence of…” on one, "
    "or add narrative ids below.")
DASHBOARD_ADD_BY_ID = N_("Add narratives by id")
DASHBOARD_IDS_EXAMPLE = N_("e.g. 12, 15")
DASHBOARD_IDS_HINT = N_("The # number under each narrative, as the exports give it.")
DASHBOARD_LINK_BUTTON = N_("Link")
DASHBOARD_COMMENTS_HEADING = N_("What members wrote when they checked it")
DASHBOARD_COMMENTS_NOTE = N_(
    "Their words about this statement, from the members' check: kept with it, not counted as its "
    "evidence or anywhere in the matrix.")
DASHBOARD_DOWNLOAD_COMMENTS = N_("Download the evidence and these comments (CSV, pseudonyms only)")
DASHBOARD_EDIT = N_("Edit")
DASHBOARD_CAPITAL_POTENTIAL_ONLY = N_("Capital (potential value only)")
DASHBOARD_SAVE = N_("Save")
DASHBOARD_MERGE_INTO = N_("Merge into another indicator")
DASHBOARD_MERGE_MEANS = N_("Its evidence joins the other's; this one leaves the matrix.")
DASHBOARD_MERGE = N_("Merge")
DASHBOARD_RETIRE = N_("Retire from the matrix")
DASHBOARD_RESTORE = N_("Restore to the matrix")
DASHBOARD_HISTORY = N_("History")
# Coding, where the narratives page offers it.
DASHBOARD_CONVENERS_CODE = N_("Conveners of this community may code its narratives.")
DASHBOARD_RESEARCHERS_CODE = N_("Coding narratives is for researchers here.")
DASHBOARD_STOP_CONVENERS_CODING = N_("Stop conveners coding")
DASHBOARD_LET_CONVENERS_CODE = N_("Let conveners code")
DASHBOARD_MAKE_SET_HEADING = N_("Make a coding set of the narratives on this page")
DASHBOARD_SET_NAME = N_("Name of the set")
DASHBOARD_SET_BLIND = N_("Blind: coders see only their own codings until they mark the set done")
# TRANSLATORS: {count} is a bare number of narratives.
DASHBOARD_MAKE_SET = N_("Make a set of {count}")
# "This is evidence of…": a narrative linked to an indicator, or starting a new one.
DASHBOARD_THIS_IS_EVIDENCE_OF = N_("This is evidence of…")
# TRANSLATORS: followed by the indicators the narrative backs, separated by semicolons.
DASHBOARD_IT_BACKS = N_("It backs:")
DASHBOARD_PLAN_BACKS = N_(
    "This is a plan, not something the member did yet: it can back immediate or potential value only.")
DASHBOARD_AN_INDICATOR = N_("An indicator on the matrix")
DASHBOARD_CHOOSE_ONE = N_("Choose one")
DASHBOARD_ADD_AS_EVIDENCE = N_("Add as evidence")
DASHBOARD_NOTHING_TO_BACK = N_("No indicator that this could back yet: start one below.")
DASHBOARD_NOTHING_LEFT_TO_BACK = N_("No indicator left that this could back yet: start one below.")
DASHBOARD_A_NEW_INDICATOR = N_("A new indicator")
DASHBOARD_START_WITH_IT = N_("Start it with this narrative")
# The export page (researchers).
DASHBOARD_EXPORT_INTRO = N_(
    "Pseudonymised narratives, one record each. Every export is recorded in the audit log.")
DASHBOARD_EVENTS_FROM = N_("Events from")
DASHBOARD_EVENTS_UNTIL = N_("Events until")
DASHBOARD_DOWNLOAD = N_("Download")
# Signing in, signing out, and what a page says when something can't be done.
DASHBOARD_SIGN_IN = N_("Sign in")
DASHBOARD_SIGN_IN_HEADING = N_("Sign in to the dashboard")
DASHBOARD_SIGN_IN_ONCE = N_("This link works once. Sign in now on this device?")
DASHBOARD_SIGNED_OUT_HEADING = N_("Signed out")
DASHBOARD_LINK_REFUSED_HEADING = N_("That link can't be used")
DASHBOARD_SIGNING_IN = N_("Signing you in…")
DASHBOARD_SIGNING_IN_WAIT = N_(
    "One moment. If nothing happens, send <code>/dashboard</code> to the bot for a link.")
DASHBOARD_NOT_FOUND_HEADING = N_("Not found")
DASHBOARD_SORRY = N_("Sorry")
DASHBOARD_BACK_HOME = N_("Back to your communities")
DASHBOARD_NOT_SAVED = N_("Not saved")
DASHBOARD_NOT_SAVED_HEADING = N_("That wasn't saved")
DASHBOARD_TRY_AGAIN = N_("Go back and try again")
DASHBOARD_CANT = N_("Can't do that")
DASHBOARD_CANT_HEADING = N_("That can't be done")
DASHBOARD_GO_BACK = N_("Go back")
# The codebook (researchers, and conveners where they may code).
DASHBOARD_CODEBOOK = N_("Codebook")
DASHBOARD_CYCLE_IT_EVIDENCES = N_("Cycle it evidences")
DASHBOARD_CODEBOOK_DONE = {
    "added": N_("The code is in the codebook."),
    "edited": N_("The code is changed."),
    "removed": N_("The code and its codings are gone."),
    "start": N_("The framework's themes are in the codebook."),
    "set": N_("The coding set is made."),
}
DASHBOARD_DONE = N_("Done.")
DASHBOARD_NARRATIVES_TO_CODE = N_("Narratives to code")
DASHBOARD_AGREEMENT_LINK = N_("Agreement between coders")
DASHBOARD_CODES = N_("Codes")
DASHBOARD_CODEBOOK_EMPTY = N_(
    "The codebook is empty. Start from the framework's themes, or add your own codes below.")
DASHBOARD_START_FROM_THEMES = N_("Start from the framework's themes")
DASHBOARD_THEMES_ADDED = N_("Adds those of its thirteen themes the codebook does not have yet.")
DASHBOARD_NO_CYCLE = N_("No cycle")
# TRANSLATORS: {code} is the name of the code another is under.
DASHBOARD_UNDER = N_("under {code}")
# TRANSLATORS: {narratives} reads like "3 narratives".
DASHBOARD_CODED = N_("{narratives} coded")
DASHBOARD_BY_ANY_CODER = N_("by any coder")
DASHBOARD_CHANGE_CODE = N_("Change, remove or make an indicator")
DASHBOARD_NAME = N_("Name")
DASHBOARD_DESCRIPTION = N_("Description")
DASHBOARD_COLOUR = N_("Colour")
DASHBOARD_SAVE_CODE = N_("Save the code")
DASHBOARD_MAKE_INDICATOR = N_("Make an indicator of this code")
DASHBOARD_CYCLE_FIRST = N_("Say which cycle it evidences first.")
DASHBOARD_REMOVE_CODE = N_("Remove the code and its codings")
DASHBOARD_ADD_CODE = N_("Add a code")
DASHBOARD_UNDER_ANOTHER = N_("Under another code")
DASHBOARD_ADD_THE_CODE = N_("Add the code")
DASHBOARD_CODING_SETS = N_("Coding sets")
DASHBOARD_CODING_SETS_NOTE = N_(
    "Narratives coded as one batch. In a blind set each coder sees only their own codings on its "
    "narratives until they mark the set done.")
# TRANSLATORS: what kind of coding set it is.
DASHBOARD_BLIND = N_("blind")
DASHBOARD_OPEN = N_("open")
# TRANSLATORS: {coders} is a list of coders' labels.
DASHBOARD_SET_DONE_BY = N_("done: {coders}")
DASHBOARD_NOBODY_DONE = N_("nobody done yet")
DASHBOARD_MAKE_A_SET = N_("Make a coding set")
DASHBOARD_SET_HINT = N_(
    "Their numbers, e.g. 12, 15, 20. Or filter the narratives list and make a set of the page.")
DASHBOARD_MAKE_THE_SET = N_("Make the set")
# TRANSLATORS: {label} is the coder's own label, like their initials.
DASHBOARD_YOU_CODE_AS = N_("You code as <strong>{label}</strong>.")
DASHBOARD_CHOOSE_LABEL = N_("Choose the label other coders see you by")
DASHBOARD_LABEL_HINT = N_(
    "Your initials or a nickname. It is shown beside your codings and in agreement; your Telegram "
    "name never is.")
DASHBOARD_START_CODING = N_("Start coding")
# Coding one narrative.
# TRANSLATORS: {id} is a narrative's number.
DASHBOARD_NARRATIVE_N = N_("Narrative {id}")
DASHBOARD_CODING_N = N_("Coding narrative {id}")
DASHBOARD_CODING_DONE = {
    "coded": N_("Coded."),
    "removed": N_("The coding is gone."),
}
# TRANSLATORS: {count} is a bare number of characters.
DASHBOARD_CHARACTERS = N_("{count} characters")
# TRANSLATORS: {sets} is a list of coding sets' names.
DASHBOARD_IN_SETS = N_("in {sets}")
# TRANSLATORS: {sets} is a list of coding sets' names.
DASHBOARD_BLIND_ONE = N_(
    "Blind coding: {sets}. You see only your own codings here until you mark that set done.")
DASHBOARD_BLIND_MANY = N_(
    "Blind coding: {sets}. You see only your own codings here until you mark those sets done.")
DASHBOARD_CODINGS = N_("Codings")
DASHBOARD_WHOLE_NARRATIVE = N_("whole narrative")
# TRANSLATORS: bare numbers: where a passage starts and ends in the narrative.
DASHBOARD_CHARACTERS_FROM_TO = N_("(characters {start}–{end})")
DASHBOARD_REMOVE = N_("Remove")
# TRANSLATORS: read out by screen readers after "Remove"; {code} is a code's name.
DASHBOARD_REMOVE_CODING = N_("{code} coding")
DASHBOARD_NO_CODINGS = N_("No codings you can see yet.")
DASHBOARD_APPLY_CODE = N_("Apply a code")
# TRANSLATORS: keep <a href="{link}">...</a>.
DASHBOARD_ADD_CODES_FIRST = N_(
    "The codebook is empty. <a href=\"{link}\">Add codes to the codebook</a> first.")
DASHBOARD_PASSAGE = N_("Passage")
DASHBOARD_PASSAGE_HINT = N_(
    "Select words in the narrative above to fill these, or type where the passage starts and "
    "ends: character 0 is the first, the end is not included.")
DASHBOARD_START = N_("Start")
DASHBOARD_END = N_("End")
DASHBOARD_CODE_PASSAGE = N_("Code the passage")
DASHBOARD_CODE_WHOLE = N_("Code the whole narrative")
DASHBOARD_BACK_TO_NARRATIVES = N_("Back to the narratives")
# A coding set, and agreement between coders.
DASHBOARD_CODING_SET = N_("Coding set")
DASHBOARD_SET_MADE = N_("The set is made. Open each narrative to code it, then mark the set done.")
DASHBOARD_SET_MARKED = N_("Marked done. You now see the other coders' codings on these narratives.")
# TRANSLATORS: bare numbers of narratives.
DASHBOARD_SET_PROGRESS = N_("You have opened {opened} of {total} and coded {coded}.")
DASHBOARD_OPENED_OF = N_("Opened {opened} of {total}")
# TRANSLATORS: {coders} is a list of coders' labels.
DASHBOARD_SET_DONE = N_("Done: {coders}.")
DASHBOARD_SET_NOBODY_DONE = N_("Nobody has marked this set done yet.")
DASHBOARD_SET_BLIND_UNTIL = N_("Until you mark it done you see only your own codings on these narratives.")
# TRANSLATORS: {count} is a bare number of codings.
DASHBOARD_YOURS = N_("codings of yours: {count}")
DASHBOARD_OPENED_NOT_CODED = N_("opened, not coded")
DASHBOARD_NOT_OPENED = N_("not opened yet")
DASHBOARD_CODE_NARRATIVE = N_("Code narrative {id}")
DASHBOARD_YOU_MARKED = N_("You marked this set done.")
DASHBOARD_MARK_DONE = N_("Mark this set done")
DASHBOARD_MARK_DONE_MEANS = N_(
    "Every narrative in it then counts as seen by you: one you left uncoded counts as \"not this "
    "code\" in agreement.")
DASHBOARD_AGREEMENT_IN_SET = N_("Agreement in this set")
DASHBOARD_AGREEMENT = N_("Agreement")
DASHBOARD_NOT_DEFINED = N_("not defined here")
DASHBOARD_UNITS_NOTE = N_(
    "Units are the narratives every compared coder has seen: one a coder opened and left uncoded "
    "counts as \"not this code\", one they never opened does not count.")
DASHBOARD_ALL_NARRATIVES = N_("All narratives")
DASHBOARD_CODEBOOK_IS_EMPTY = N_("The codebook is empty.")
DASHBOARD_AGREEMENT_CAPTION = N_(
    "Per code: percent agreement, Cohen's kappa (two coders), Krippendorff's alpha")
DASHBOARD_CODERS = N_("Coders")
DASHBOARD_UNITS = N_("Units")
DASHBOARD_PERCENT = N_("Percent")
DASHBOARD_KAPPA = N_("Kappa")
DASHBOARD_ALPHA = N_("Alpha")
DASHBOARD_DASH_MEANS = N_(
    "— : not defined here (fewer than two coders, no shared units, or everyone gave every unit "
    "the same value).")


# Emails to members without Telegram: plain text (the HTML part escapes them), each with the
# member's personal link and a way to stop them. Nothing a member wrote, except their own plan in
# the follow-up sent to them.
# TRANSLATORS: an email's subject; {community} is the community's name.
MAIL_INVITE_SUBJECT = N_("An invitation from {community}")
MAIL_HELLO = N_("Hello,")
MAIL_INVITE_BODY = N_(
    "{community} would like to hear, after its events, what you got out of them, in your own "
    "words. It takes a few minutes each time, and you can skip any question.")
MAIL_INVITE_NEXT = N_(
    "Open your page to read how your answers are kept and who sees them, and to say whether "
    "you'd like to take part.")
MAIL_INVITE_BUTTON = N_("Open my page")
# TRANSLATORS: an email's subject; {event} is the event's title.
MAIL_PROMPT_SUBJECT = N_("What did you get out of {event}?")
MAIL_PROMPT_BODY = N_(
    "Thank you for being part of {event}. A few short questions about what you got out of it are "
    "waiting for you: a few minutes, and you can skip anything.")
MAIL_PROMPT_BUTTON = N_("Answer the questions")
MAIL_REMINDER_SUBJECT = N_("Still open: {event}")
MAIL_REMINDER_BODY = N_(
    "Just a gentle reminder: the questions about {event} are open for a little while longer. "
    "Your place is kept, so you can carry on where you left off.")
MAIL_AGAIN_SUBJECT = N_("In case my last email went astray: {event}")
MAIL_AGAIN_BODY = N_(
    "In case my last email didn't reach you: a few short questions about {event} are waiting for "
    "you, whenever suits you. If you've seen them already, thank you!")
MAIL_FOLLOWUP_SUBJECT = N_("How did it go after {event}?")
MAIL_FOLLOWUP_PLAN = N_("After {event}, you said you might:")
MAIL_FOLLOWUP_BODY = N_(
    "I'd love to hear what came of it, whether you did it or not. A couple of short questions "
    "are waiting for you.")
MAIL_FOLLOWUP_BUTTON = N_("Tell me how it went")
# The members' check by email: the conveners' statements are never in the email, only on the
# member's page.
# TRANSLATORS: an email's subject; {community} is the community's name.
MAIL_CHECK_SUBJECT = N_("Does this ring true for you? A question from {community}")
MAIL_CHECK_BODY = N_(
    "The conveners of {community} have written down what members' stories show about the value "
    "of the community. Would you tell them whether each statement rings true for you? It takes "
    "a few minutes, and you can skip any of them.")
MAIL_CHECK_BUTTON = N_("Check the statements")
MAIL_PERSONAL = N_("This link is yours alone, so please don't forward this email.")
# TRANSLATORS: the end of an email, before the community's name.
MAIL_THANKS = N_("With thanks,")
MAIL_WHY = N_(
    "You get this email because {community} asked you to share, after its events, what you got "
    "out of them.")
MAIL_STOP = N_("Stop these emails")
# TRANSLATORS: in an email's plain text, before the address that stops the emails.
MAIL_STOP_PLAIN = N_("To stop these emails, open: {link}")
# Joining by email from a community's invite (/join/<invite code>), and the email that confirms
# the address.
JOIN_TITLE = N_("Join {community}")
JOIN_ASK = N_(
    "Give your email address and I'll send you a link to confirm it. Then you'll read how your "
    "answers are kept and who sees them, and say whether you'd like to take part.")
JOIN_ADDRESS = N_("Your email address")
JOIN_SEND = N_("Send me the link")
JOIN_SENT = N_(
    "Thank you! If that address takes email, a link to confirm it is on its way. Please open it "
    "within a day.")
JOIN_BAD_ADDRESS = N_("That doesn't look like an email address. Please check it and try again.")
JOIN_NOT_SENT = N_("I couldn't send the email just now. Please try again in a few minutes.")
JOIN_CONFIRM_ASK = N_("Confirm your email address to join {community}.")
JOIN_CONFIRM = N_("Confirm")
JOIN_EXPIRED = N_(
    "This link has expired or was used already. Please open your community's invite again to get "
    "a new one.")
MAIL_CONFIRM_SUBJECT = N_("Confirm your email address for {community}")
MAIL_CONFIRM_BODY = N_(
    "Someone, I hope you, asked to join {community} with this address. To confirm it, open the "
    "link below within a day. If it wasn't you, ignore this email and nothing will happen.")
# The page a member's "stop these emails" link opens; its button reads MAIL_STOP.
UNSUBSCRIBE_ASK = N_(
    "Stop the emails? I won't email you about any community until you ask me to start again. "
    "What you've shared is kept.")
UNSUBSCRIBED = N_(
    "Done: I won't email you any more. What you've shared is kept. To hear from me again, open "
    "Your data on your page and press Email me again.")
# The emails' setting on a member's page, under Your data: stopped, and started again there.
WEB_EMAILS = N_("Emails after events")
WEB_EMAILS_ON = N_(
    "I email you after your community's events, with a link to this page.")
WEB_EMAILS_STOPPED = N_(
    "You stopped the emails: I send you nothing, about any community. What you've shared is "
    "kept.")
WEB_EMAILS_RESUME = N_("Email me again")


# The terminal (`valuestory try`): a question's options are numbered, controls keep one letter.
# The event a try-out asks about, written as the question names it ("Did you take part in ...?").
TRY_EVENT_TITLE = N_("your last community event")
TRY_WELCOME = N_("This is what a member sees, in the terminal instead of Telegram.")
TRY_KEYS = N_(
    "Type your answers. To press a button, type what is in its brackets: a number for an option "
    "(several at once, like 1,3, where more than one may be picked), or a letter or the word: "
    "[n] Next  [s] Skip  [b] Back  [l] Later  [x] Stop  [d] Done  [c] Carry on. "
    "/help for help; /quit or Ctrl+C to finish."
)
TRY_NO_SUCH = N_("There's no [{key}] here. Type a number or letter shown in brackets.")
TRY_ONE_PICK = N_("This question takes one answer: type just one number.")
TRY_INTERRUPTED = N_("Stopped. Every answer was saved the moment you sent it, so nothing is lost.")
TRY_MYDATA = N_("Here is everything I hold about you (in Telegram it comes as a file):\n\n{document}")
TRY_STORY_OVER = N_(
    "That's the end of this story. You can still try /mydata, /pause or /withdraw here; "
    "/quit or Ctrl+C ends the try-out."
)
TRY_TOLD_BEFORE = N_(
    "This member's story about the event is told already. /mydata shows it; to try as another "
    "member, start again with --member and another number."
)
TRY_INTERRUPTED_THROWAWAY = N_(
    "Stopped. Here is what was saved; this try-out's database is deleted as it ends."
)
# The headings a try-out ends with: the member's story as stored, then the matrix it filled.
TRY_STORED = N_("What was stored, by value cycle")
TRY_STORED_NOTHING = N_("Nothing: no answer was given.")
TRY_MATRIX = N_("The convener's Value Creation Matrix")

# --- A member's own page, in the browser (`/answer/<their link>`) ---------------------------
WEB_TITLE = N_("Your story")
WEB_LINK_GONE = N_(
    "This link doesn't work any more. If you still take part, please ask your convener for a "
    "new one."
)
# TRANSLATORS: a command line message; {pseudonym} reads like "P-7K2Q".
WEB_NO_SUCH_MEMBER = N_("there is no member {pseudonym} in {community}")
WEB_MYDATA = N_("Your data")
WEB_WITHDRAW = N_("Leave and erase")
WEB_BACK = N_("Back to your story")
# /link in Telegram: a member's own page, to answer in a browser too. {link} is their address.
WEB_YOUR_LINK = N_(
    "Here is your own page, where you can also answer in a browser, on any device:\n{link}\n\n"
    "It is yours alone, so please don't share it. It is shown only this once: any link I gave "
    "you before stops working now."
)
# The members' check on a member's page (`/answer/<their link>/check`), one statement at a time.
WEB_CHECK_TITLE = N_("Does this ring true for you?")
WEB_CHECK_SENTENCE = N_("A sentence about it, if you like")
WEB_CHECK_SENTENCE_HINT = N_(
    "Kept with your answer when you press Rings true or Not for me; not with Skip.")
WEB_CHECK_NONE = N_("There are no statements waiting for you to check. Thank you!")
# On the story's page, when a members' check waits for them.
WEB_CHECK_OPEN = N_("Your conveners would like to know whether some statements ring true for you.")
WEB_CHECK_GO = N_("Check the statements")
WEB_NOT_SENT = N_(
    "Not sent: the connection was lost. Your words are kept here; press the button again "
    "when you're back online."
)

# The participant information as a member's page shows it: no commands, no Telegram account.
WEB_PARTICIPANT_BODY = N_(
    "After each event I'll ask you a few short questions about what you got out of it, "
    "and a few weeks later what you did with it.\n\n"
    "<b>What's kept:</b> your answers, which event they're about, and when you gave them.\n"
    "<b>Who sees it:</b> your community's conveners and researchers see your answers under a "
    "pseudonym, never your name or how to reach you.\n"
    "<b>Your choice:</b> skip any question, see everything kept under Your data, and leave "
    "with Leave and erase, which erases what you shared."
)
WEB_PARTICIPANT_INFO = Composed(N_("<b>Joining {community}</b>"), "\n\n", WEB_PARTICIPANT_BODY,
                                "\n\n", N_("Are you happy to take part?"))

# The terminal's own words where Telegram's would be wrong there: it has no buttons to tap, and
# no /language. Every other text reads there as in Telegram.
WORDING = {
    # The page has a text box and buttons to press, no chat to send messages in.
    "web": {
        "ASK_TEXT_HINT": N_("Write your answer in the box, then press Next."),
        "ASK_MULTI_HINT": N_("Choose all that apply, then press Done."),
        "LATER": N_("No problem, your place is kept. Press Carry on, or open this link again, "
                    "when you're ready."),
        "STOPPED": N_("Thank you. What you shared is saved; you can see it under Your data."),
        "MYDATA_ERASE": N_("To erase all of this, press Leave and erase."),
        # The members' check on the page: buttons to press, a box for the sentence.
        "CHECK_INTRO": N_(
            "The conveners of {community} have written down what members' stories show about "
            "the value of the community. Here are {statements}, one at a time: press Rings true, "
            "Not for me, or Skip. You can add a sentence about any of them in the box."),
        "CHECK_THANKS": N_(
            "Thank you, that's all of them. Your conveners see how many members each statement "
            "rings true for, not who said what. Any sentence you added is kept with your answer, "
            "and Your data shows it."),
        # Where they are asked, as their page's setting says it: it is not in Telegram.
        "CHANNEL_TELEGRAM": N_("In Telegram"),
        # No voice notes on the page: its members agree to the one text, whatever the community
        # keeps of recordings made in Telegram.
        "PARTICIPANT_BODY": WEB_PARTICIPANT_BODY,
        "PARTICIPANT_BODY_WITH_AUDIO": WEB_PARTICIPANT_BODY,
        "PARTICIPANT_INFO": WEB_PARTICIPANT_INFO,
        "PARTICIPANT_INFO_WITH_AUDIO": WEB_PARTICIPANT_INFO,
    },
    "terminal": {
        "ASK_TEXT_HINT": N_("Answer in one message or several, then type n for Next."),
        "ASK_MULTI_HINT": N_("Type their numbers, like 1,3, then d for Done."),
        "ACK_FIRST": N_("Got it. Add more if you like, or type n for Next."),
        "ACK_MORE": N_("Added to your answer. Type n for Next when you're ready."),
        "REVISE": N_("You said:\n<i>{answer}</i>\n\nSend a new answer to replace it, or type n "
                     "for Next to keep it."),
        "PLEASE_TAP": N_("Please type one of the numbers or letters in brackets."),
        "LATER": N_("No problem, I've kept your place. Type c to carry on, or /continue, when "
                    "you're ready."),
        "EDITED": N_("I keep what you first sent. To change an answer, type b for Back and send "
                     "the new version."),
        "ANSWER_FULL": N_("That answer is already very long, so I couldn't add more. Type n for "
                          "Next to move on."),
        "NOT_NOW": N_("No problem, nothing has been kept. Type anything to see the invitation "
                      "again, or /quit to end."),
        "HELP": N_(
            "<b>How this works</b>\n"
            "After an event I ask a few short questions, one at a time.\n\n"
            "• Answer in one message or several, then type <b>n</b> for Next (or /next).\n"
            "• <b>s</b> to Skip (/skip) any question you'd rather not answer.\n"
            "• <b>b</b> to go Back (/back) and change your previous answer.\n"
            "• <b>l</b> for Later (/later) to stop for now; <b>c</b> (/continue) carries on "
            "where you left off.\n"
            "• <b>x</b> to Stop (/stop) this one; what you've shared is kept.\n\n"
            "/pause no more questions for now; /resume to hear from me again\n"
            "/privacy what's kept and who sees it\n"
            "/mydata everything I hold about you\n"
            "/withdraw leave and erase what you shared\n"
            "/quit end the try-out"
        ),
    },
}


@cache
def _view(language: str) -> Texts:
    return Texts(sys.modules[__name__], language)


def In(language: str | None) -> Texts:
    """These texts in `language` (a code as Telegram sends it); an unknown one reads English."""
    return _view(pick(language))
