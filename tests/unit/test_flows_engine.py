"""The pure conversation engine: many small cases, no database, no Telegram."""

from __future__ import annotations

import pytest

from flows import engine, texts
from flows.engine import (
    Back,
    Begin,
    Choose,
    Context,
    Continue,
    Discard,
    Done,
    Keep,
    Later,
    Next,
    Progress,
    Skip,
    Stop,
    Text,
    decode_action,
    encode_action,
    step,
)
from flows.questions import (
    Capital,
    PromptKind,
    QuestionSetError,
    ValueCycle,
    load_question_set,
    parse_question_set,
)

POST = load_question_set().script(PromptKind.POST_EVENT)
CTX = Context(event="Winter <Session> & Co")


def run(*actions: engine.Action, progress: Progress | None = None) -> tuple[Progress, engine.Step]:
    p = progress or Progress()
    result = step(POST, p, Begin(), CTX) if progress is None else None
    if result is not None:
        p = result.progress
    for action in actions:
        result = step(POST, p, action, CTX)
        p = result.progress
    assert result is not None
    return p, result


def test_every_default_question_carries_its_cycle_and_capital_where_one_applies() -> None:
    qs = load_question_set()
    for script in qs.scripts.values():
        for q in script.questions:
            if q.kind.value == "text":
                assert q.cycle is not None, q.id
                assert q.skippable, q.id
            if q.cycle is ValueCycle.POTENTIAL and q.kind.value == "text":
                assert q.capital is not None, q.id
    capitals = {q.capital for q in POST.questions if q.capital}
    assert capitals == set(Capital)
    aspiration = POST.question("applied.intention")
    assert aspiration is not None and aspiration.intended and aspiration.cycle is ValueCycle.APPLIED
    followup = qs.script(PromptKind.FOLLOWUP_APPLIED)
    assert "{aspiration}" in followup.questions[0].text
    assert [q.cycle for q in followup.questions] == [ValueCycle.APPLIED, ValueCycle.REALISED]
    assert qs.script(PromptKind.FOLLOWUP_REFRAMING).questions[0].cycle is ValueCycle.REFRAMING


def test_begin_names_the_event_escaped_with_count_and_minutes() -> None:
    result = step(POST, Progress(), Begin(), CTX)
    text = result.replies[0].text
    assert "Winter &lt;Session&gt; &amp; Co" in text
    assert "About 5 minutes" in text and "Question 1" in text
    assert result.progress.question_id == "attended"


def test_several_messages_to_one_question_stay_one_answer() -> None:
    p, r1 = run(Choose("attended", "yes"), Text("one"))
    assert r1.store_text is not None and not r1.store_text.append
    p, r2 = run(Text("two"), progress=p)
    assert r2.store_text is not None and r2.store_text.append
    assert p.answers["immediate.moment"] == "one\n\ntwo"
    assert p.question_id == "immediate.moment"


def test_back_then_new_message_starts_a_new_version() -> None:
    p, _ = run(Choose("attended", "yes"), Text("first"), Next(), Back())
    assert p.question_id == "immediate.moment" and p.fresh
    p, r = run(Text("second"), progress=p)
    assert r.store_text is not None and not r.store_text.append
    assert p.answers["immediate.moment"] == "second"


def test_back_at_the_first_question_says_so_and_stays() -> None:
    p, r = run(Back())
    assert p.question_id == "attended"
    assert texts.AT_FIRST_QUESTION in r.replies[0].text


def test_answering_no_to_attendance_ends_as_not_attended() -> None:
    _, r = run(Choose("attended", "no"))
    assert r.finished == "not_attended"
    assert texts.NOT_ATTENDED in r.replies[0].text


def test_capital_picks_decide_which_follow_on_questions_are_asked() -> None:
    p, _ = run(Choose("attended", "yes"), Skip(), Skip(), Choose("potential.capitals", "tangible"),
               Choose("potential.capitals", "learning"), Choose("potential.capitals", "tangible"))
    assert p.choices["potential.capitals"] == ("learning",)
    p, r = run(Done("potential.capitals"), progress=p)
    assert p.question_id == "potential.learning"
    assert "5 of 6" in r.replies[0].text


def test_multi_select_toggles_edit_the_buttons_in_place() -> None:
    _, r = run(Choose("attended", "yes"), Skip(), Skip(), Choose("potential.capitals", "social"))
    reply = r.replies[0]
    assert reply.edit
    labels = [b.label for row in reply.buttons for b in row]
    assert "✓ A useful connection" in labels and "A new insight or skill" in labels


def test_later_holds_the_place_and_continue_resumes_it() -> None:
    p, r = run(Choose("attended", "yes"), Later())
    assert p.held and p.question_id == "immediate.moment"
    assert [b.label for row in r.replies[0].buttons for b in row] == [texts.BTN_CONTINUE]
    p, r = run(Continue(), progress=p)
    assert not p.held and "Question 2" in r.replies[0].text


def buttons(step: engine.Step) -> list[str]:
    return [b.label for row in step.replies[-1].buttons for b in row]


def test_a_message_after_later_is_held_not_stored_and_the_member_is_asked_whether_to_keep_it(
) -> None:
    p, _ = run(Choose("attended", "yes"), Later())
    p, r = run(Text("hello?"), progress=p)
    assert r.store_text is None and "immediate.moment" not in p.answers
    assert not p.held and p.held_message == "hello?"
    text = r.replies[0].text
    assert texts.WELCOME_BACK in text and "Question 2" in text
    assert texts.KEEP_HELD.format(message="hello?") in text
    assert buttons(r) == [texts.BTN_KEEP, texts.BTN_DISCARD]


def test_keep_stores_the_held_message_as_the_answer_and_carries_on() -> None:
    p, _ = run(Choose("attended", "yes"), Later(), Text("the case <review>"))
    p, r = run(Keep("immediate.moment"), progress=p)
    assert r.store_text is not None and r.store_text.text == "the case <review>"
    assert r.store_text.question.id == "immediate.moment" and not r.store_text.append
    assert p.held_message is None and p.answers["immediate.moment"] == "the case <review>"
    assert texts.BTN_NEXT in buttons(r)
    p, r = run(Next(), progress=p)
    assert "Question 3" in r.replies[0].text


def test_no_discards_the_held_message_and_asks_the_question_again() -> None:
    p, _ = run(Choose("attended", "yes"), Later(), Text("hello?"))
    p, r = run(Discard("immediate.moment"), progress=p)
    assert r.store_text is None and p.held_message is None and not p.answers
    assert texts.HELD_DISCARDED in r.replies[0].text and "Question 2" in r.replies[0].text
    assert "hello?" not in r.replies[0].text and texts.BTN_SKIP in buttons(r)
    p, r = run(Text("my real answer"), progress=p)
    assert r.store_text is not None and r.store_text.text == "my real answer"


def test_more_messages_before_keep_join_the_held_one_and_nothing_is_stored_until_keep() -> None:
    p, _ = run(Choose("attended", "yes"), Later(), Text("hello?"))
    p, r = run(Text("the midwife's case"), progress=p)
    assert r.store_text is None and p.held_message == "hello?\n\nthe midwife's case"
    _, r = run(Keep(), progress=p)
    assert r.store_text is not None and r.store_text.text == "hello?\n\nthe midwife's case"


def test_asking_again_while_a_message_is_held_still_offers_keep_or_no() -> None:
    p, _ = run(Choose("attended", "yes"), Later(), Text("hello?"))
    for action in (Begin(), engine.Where(), Continue()):
        p2, r = run(action, progress=p)
        assert p2.held_message == "hello?" and buttons(r) == [texts.BTN_KEEP, texts.BTN_DISCARD], action


def test_moving_on_without_keep_leaves_the_held_message_out() -> None:
    p, _ = run(Choose("attended", "yes"), Later(), Text("hello?"))
    p, r = run(Skip(), progress=p)
    assert r.store_text is None and p.held_message is None and "Question 3" in r.replies[0].text


def test_keep_or_no_with_nothing_held_is_a_stale_button_and_changes_nothing() -> None:
    p, _ = run(Choose("attended", "yes"))
    for action in (Keep(), Discard()):
        p2, r = run(action, progress=p)
        assert p2 == p and r.store_text is None and texts.STALE_BUTTON in r.replies[0].text


def test_a_message_after_later_on_a_button_question_resumes_without_storing() -> None:
    p, r = run(Later())
    p, r = run(Text("hello?"), progress=p)
    assert r.store_text is None and p.held_message is None and not p.held
    assert texts.WELCOME_BACK in r.replies[0].text and "Question 1" in r.replies[0].text


def test_stop_with_nothing_said_says_nothing_was_saved() -> None:
    _, r = run(Choose("attended", "yes"), Stop())
    assert r.finished == "stopped"
    assert r.replies[0].text == texts.STOPPED_NOTHING


def test_stop_with_only_a_held_message_says_nothing_was_saved() -> None:
    _, r = run(Choose("attended", "yes"), Later(), Text("hello?"), Stop())
    assert r.store_text is None and r.replies[0].text == texts.STOPPED_NOTHING


def test_stop_ends_the_prompt_keeping_answers() -> None:
    p, r = run(Choose("attended", "yes"), Text("kept"), Stop())
    assert r.finished == "stopped"
    assert p.answers["immediate.moment"] == "kept"
    assert texts.STOPPED in r.replies[0].text


def test_finishing_recaps_answers_by_cycle_escaped() -> None:
    _, r = run(Choose("attended", "yes"), Text("<b>bold</b> & more"), Next(), Skip(),
               Done("potential.capitals"), Text("Try it"), Next())
    assert r.finished == "completed"
    recap = r.replies[0].text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in recap
    assert recap.index(texts.CYCLE_NAMES["immediate"]) < recap.index(texts.CYCLE_NAMES["applied"])
    assert texts.CYCLE_NAMES["potential"] not in recap


def test_text_while_a_button_question_is_open_asks_for_a_tap_and_stores_nothing() -> None:
    _, r = run(Text("hello"))
    assert r.store_text is None and texts.PLEASE_TAP in r.replies[0].text


def test_a_message_over_telegrams_limit_is_refused_kindly() -> None:
    p, _ = run(Choose("attended", "yes"))
    p2, r = run(Text("x" * 5000), progress=p)
    assert r.store_text is None and p2 == p and texts.TOO_LONG in r.replies[0].text


def test_a_button_for_another_question_is_stale_and_changes_nothing() -> None:
    p, _ = run(Choose("attended", "yes"))
    p2, r = run(Skip("attended"), progress=p)
    assert p2 == p and texts.STALE_BUTTON in r.replies[0].text


@pytest.mark.parametrize("action", [
    Choose("potential.capitals", "human"), Done("potential.capitals"), Next("q"), Next(),
    Skip("immediate.moment"), Back("x"), Later(), Continue(), Stop(), Keep("immediate.moment"),
    Keep(), Discard("applied.intention"), Discard(),
])
def test_button_tokens_round_trip(action: engine.Action) -> None:
    token = encode_action(action)
    assert len(f"p|999999999|{token}".encode()) <= 64  # Telegram's callback_data limit
    assert decode_action(token) == action


@pytest.mark.parametrize("forged", ["", "zz", "o|only", "d|", "p|1", "x|y", "o||"])
def test_forged_tokens_decode_to_nothing(forged: str) -> None:
    assert decode_action(forged) is None


def test_a_question_set_without_a_cycle_on_a_text_question_is_refused() -> None:
    data = {"scripts": {k.value: {"questions": [{"id": "q", "text": "?"}]} for k in PromptKind}}
    with pytest.raises(QuestionSetError, match="needs a cycle"):
        parse_question_set(data)


def test_trim_never_cuts_a_word() -> None:
    assert engine.trim("alpha beta gamma delta", 12) == "alpha beta…"
    assert engine.trim("The first sentence. Then more words follow.", 30) == "The first sentence."
