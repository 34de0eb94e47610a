from connectors.rendering import rasa_to_parts, split_text


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
