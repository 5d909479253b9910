"""Bad input gets a kind, clear reply and changes nothing else."""

from __future__ import annotations

from sqlalchemy import func, select

from flows import texts
from storage.models import Choice, HandledUpdate, Member, Narrative, Prompt
from tests import seed
from tests.harness import Harness, Person


async def _mid_question(harness: Harness, user_id: int = 601) -> tuple[Person, int]:
    pat, prompt = await seed.member_with_open_prompt(harness, user_id)
    await pat.say("My real answer")
    return pat, prompt.id


async def _state(harness: Harness) -> tuple[list[tuple[str, str]], list[tuple[str | None, bool]]]:
    async with harness.db.session() as s:
        narratives = [(n.question_id, n.text) for n in (await s.scalars(select(Narrative))).all()]
        prompts = [(p.question_id, p.fresh) for p in (await s.scalars(select(Prompt))).all()]
    return narratives, prompts


async def test_stickers_photos_files_and_locations_get_a_kind_reply_and_store_nothing(
    harness: Harness,
) -> None:
    pat, _ = await _mid_question(harness)
    before = await _state(harness)
    media = {
        "sticker": {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                "is_animated": False, "is_video": False, "type": "regular"}},
        "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
                  "caption": "my caption answer"},
        "document": {"document": {"file_id": "d", "file_unique_id": "d"}},
        "location": {"location": {"latitude": 51.5, "longitude": -0.1}},
    }
    replies = {kind: await pat.send(**content) for kind, content in media.items()}
    assert "sticker" in replies["sticker"][0].lower()
    assert "photos" in replies["photo"][0]
    assert "files" in replies["document"][0]
    assert "locations" in replies["location"][0]
    assert await _state(harness) == before


async def test_a_command_in_the_middle_of_a_question_is_not_taken_as_an_answer(
    harness: Harness,
) -> None:
    pat, _ = await _mid_question(harness)
    before = await _state(harness)
    replies = await pat.say("/frobnicate now")
    assert texts.UNKNOWN_COMMAND in replies[0]
    assert await _state(harness) == before
    replies = await pat.say("/help")
    assert replies[0].startswith(texts.HELP) and "on question 2." in replies[0]
    assert await _state(harness) == before


async def test_text_over_telegrams_limit_is_refused_and_nothing_changes(harness: Harness) -> None:
    pat, _ = await _mid_question(harness)
    before = await _state(harness)
    replies = await pat.say("word " * 1000)
    assert texts.TOO_LONG in replies[0]
    assert await _state(harness) == before


async def test_messages_in_a_group_are_pointed_to_a_private_chat_and_not_stored(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    group = {"id": -100123, "type": "group", "title": "CoP group"}
    user = {"id": 602, "is_bot": False, "first_name": "Gail"}
    await harness.feed({"message": {
        "message_id": 1, "date": 0, "chat": group, "from": user,
        "text": f"/start {community.invite_code}",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }})
    said = harness.double.texts(-100123)
    assert said == [texts.GROUP_CHAT.format(link="https://t.me/valuestory_test_bot")]
    async with harness.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Member)) == 0


async def test_someone_who_never_joined_is_told_how_to_join(harness: Harness) -> None:
    stranger = harness.person(603)
    replies = await stranger.say("Hello, here is my story")
    assert texts.UNKNOWN_USER in replies[0]
    replies = await stranger.say("/start")
    assert texts.START_STRANGER in replies[0]
    replies = await stranger.say("/start not-a-real-code")
    assert texts.BAD_INVITE in replies[0]
    async with harness.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Member)) == 0
        assert await s.scalar(select(func.count()).select_from(Narrative)) == 0


async def test_forged_button_data_is_refused_and_changes_nothing(harness: Harness) -> None:
    pat, prompt_id = await _mid_question(harness)
    before = await _state(harness)
    message = pat.last
    for forged in ["garbage", f"p|{prompt_id}|zz", f"p|{prompt_id}|o|attended|no",
                   f"p|{prompt_id}|o|immediate.moment|x", "p|notanumber|x", "j|bad|code",
                   "p|²|s|", f"p|{10**20}|s|", f"p|{'9' * 18}|s|", "p|-1|x"]:
        replies = await pat.press_data(message, forged)
        assert replies and not any(texts.SOMETHING_WENT_WRONG in r for r in replies), forged
    assert await _state(harness) == before
    async with harness.db.session() as s:
        choice = await s.scalar(select(Choice).where(Choice.question_id == "attended"))
    assert choice is not None and choice.values == ["yes"]


async def test_a_button_meant_for_someone_else_is_refused(harness: Harness) -> None:
    _, prompt_id = await _mid_question(harness, 604)
    community = await seed.community(harness.db, "Other")
    eve = harness.person(605)
    await seed.join(eve, community)
    before = await _state(harness)
    replies = await eve.press_data(eve.last, f"p|{prompt_id}|s|immediate.moment")
    assert texts.NOT_FOR_YOU in replies[0]
    assert await _state(harness) == before


async def test_tapping_the_same_button_twice_is_answered_kindly(harness: Harness) -> None:
    dee, _ = await seed.member_with_open_prompt(harness, 606, attended=False)
    message, data = dee.button(seed.THERE)
    await dee.press_data(message, data)
    replies = await dee.press_data(message, data)  # a double tap on a slow connection
    assert texts.STALE_BUTTON in replies[0] and "Question 2" in replies[0]
    assert not any(texts.SOMETHING_WENT_WRONG in r for r in dee.texts_since(0))


async def test_a_button_on_an_old_message_is_stale_and_shows_where_we_are(harness: Harness) -> None:
    pat, _ = await _mid_question(harness)
    await pat.tap(texts.BTN_NEXT)
    old_question = next(m for m in pat.inbox if "Question 2" in m.text)
    replies = await pat.press_data(old_question, old_question.keyboard[0][0]["callback_data"])
    assert texts.STALE_BUTTON in replies[0] and "Question 3" in replies[0]


async def test_a_redelivered_message_is_stored_once(harness: Harness) -> None:
    pat, _ = await _mid_question(harness)
    message = pat.message(text="Said once")
    await pat.send_update(message)
    replies = await pat.send_update(dict(message))
    assert replies == []
    async with harness.db.session() as s:
        narrative = await s.scalar(select(Narrative))
        keys = await s.scalar(select(func.count()).select_from(HandledUpdate))
    assert narrative is not None and narrative.text == "My real answer\n\nSaid once"
    assert keys and keys >= 2


async def test_an_edited_message_is_explained_and_the_answer_is_unchanged(harness: Harness) -> None:
    pat, _ = await _mid_question(harness)
    before = await _state(harness)
    replies = await pat.send_update(pat.message(text="edited version", edit_date=1), edited=True)
    assert "tap Back" in replies[0]
    assert await _state(harness) == before
