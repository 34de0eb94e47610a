from connectors.rendering import fold_turn, rasa_to_parts, split_text

MENU = {"title": "منوی اصلی", "payload": "/help"}
HUMAN = {"title": "صحبت با اپراتور", "payload": "/request_human"}
MORE = {"title": "بیشتر بدانید", "payload": '/how_to{"article_id":"privacy"}'}


def test_short_text_is_one_part():
    assert split_text("سلام.", 4096) == ["سلام."]


def test_long_text_splits_at_sentence_ends():
    sentence = "این یک جمله کوتاه است. "
    text = sentence * 300
    parts = split_text(text, 4096)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts).split() == text.split()


def test_a_sentence_longer_than_the_limit_splits_at_spaces():
    text = "کلمه " * 100
    parts = split_text(text, 50)
    assert all(len(p) <= 50 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_buttons_stay_on_the_last_part():
    buttons = [{"title": "منو", "payload": "/help"}]
    parts = rasa_to_parts([{"text": "الف. " * 30, "buttons": buttons, "custom": {"request_contact": True}}], 40)
    assert all(b == [] and h == {} for _, b, h in parts[:-1])
    assert parts[-1][1] == buttons and parts[-1][2] == {"request_contact": True}


def test_buttons_without_text_are_kept():
    assert rasa_to_parts([{"text": "", "buttons": [{"title": "منو", "payload": "/help"}]}], 100) == [
        ("", [{"title": "منو", "payload": "/help"}], {})
    ]


def test_a_separate_custom_message_joins_the_reply_before_it():
    parts = rasa_to_parts([{"text": "شماره؟", "buttons": []}, {"custom": {"request_contact": True}}], 100)
    assert parts == [("شماره؟", [], {"request_contact": True})]


def test_a_case_answer_of_four_messages_is_the_answer_then_the_question():
    parts = [
        ("پرونده «مستمری»\nوضعیت: در حال بررسی", [], {}),
        ("قدم بعدی: صبر کنید", [], {}),
        ("محل پیگیری: شعبه ۱۲", [], {}),
        ("کار دیگری هست؟", [MENU, HUMAN], {}),
    ]
    assert fold_turn(parts, 4096) == [
        ("پرونده «مستمری»\nوضعیت: در حال بررسی\n\nقدم بعدی: صبر کنید\n\nمحل پیگیری: شعبه ۱۲", [], {}),
        ("کار دیگری هست؟", [MENU, HUMAN], {}),
    ]


def test_an_earlier_button_follows_the_question_and_one_title_is_shown_once():
    parts = [("همیار این گفتگو را یک روز نگه می‌دارد.", [MORE], {}), ("سلام. چه کاری دارید؟", [MENU, HUMAN], {})]
    assert fold_turn(parts, 4096) == [
        ("همیار این گفتگو را یک روز نگه می‌دارد.", [], {}),
        ("سلام. چه کاری دارید؟", [MENU, HUMAN, MORE], {}),
    ]
    twice = {"title": "صحبت با اپراتور", "payload": '/request_human{"agency":"tamin"}'}
    assert fold_turn([("الف", [twice], {}), ("ب؟", [HUMAN], {})], 4096)[1][1] == [HUMAN]


def test_a_text_after_the_question_joins_the_answer_before_it():
    parts = [("مرحله ۱", [], {}), ("شماره موبایل؟", [MENU], {"request_contact": True}), ("کارت بانکی ننویسید.", [], {})]
    assert fold_turn(parts, 4096) == [
        ("مرحله ۱\n\nکارت بانکی ننویسید.", [], {}),
        ("شماره موبایل؟", [MENU], {"request_contact": True}),
    ]


def test_an_offer_said_first_is_the_question_after_the_answer():
    """A session's first turn: the notice, then the offer of what was left unfinished (said at
    the session's start), then the answer to what was written."""
    go_on = {"title": "ادامه", "payload": '/how_to{"article_id":"passport-new","guide_step":"2"}'}
    offer = ("دفعه قبل در مرحله ۳ راهنمای «گرفتن گذرنامه» بودید. ادامه بدهیم؟", [go_on, MENU], {"last_question": True})
    parts = [("همیار این گفتگو را یک روز نگه می‌دارد.", [MORE], {}), offer, ("سلام. چه کاری دارید؟", [MENU, HUMAN], {})]
    assert fold_turn(parts, 4096) == [
        ("همیار این گفتگو را یک روز نگه می‌دارد.\n\nسلام. چه کاری دارید؟", [], {}),
        (offer[0], [go_on, MENU, HUMAN, MORE], {}),
    ]


def test_every_hint_reaches_the_last_message():
    """The desk's handoff signal, «goodbye» clearing the page, a marker: none lost in the fold."""
    handoff = {"handoff": {"reason": "misunderstood", "agency": "general"}}
    parts = [("ببخشید", [], {"misunderstood": True}), ("یک کارشناس", [], handoff), ("خدانگهدار", [], {"clear_history": True})]
    assert fold_turn(parts, 4096) == [
        ("ببخشید\n\nیک کارشناس\n\nخدانگهدار", [], {"misunderstood": True, **handoff, "clear_history": True})
    ]


def test_a_question_without_words_puts_its_buttons_under_the_answer():
    parts = [("مرحله ۱ از ۳", [], {}), ("گام اول", [], {}), ("", [MENU], {})]
    assert fold_turn(parts, 4096) == [("مرحله ۱ از ۳\n\nگام اول", [MENU], {})]
    assert fold_turn([("", [MENU], {})], 4096) == [("", [MENU], {})]


def test_no_turn_is_more_than_two_messages_unless_the_channel_limit_says_so():
    many = [(f"جمله {n}.", [MENU] if n % 3 == 0 else [], {}) for n in range(9)]
    assert len(fold_turn(many, 4096)) == 2
    assert fold_turn([], 4096) == []
    long = [("الف " * 20, [], {}), ("ب " * 30, [], {}), ("پ؟", [MENU], {})]
    folded = fold_turn(long, 100)
    assert len(folded) == 3 and all(len(text) <= 100 for text, _, _ in folded)
