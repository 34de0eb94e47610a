from connectors.models import OutboundMessage, OutButton
from connectors.numbered import NumberedOptions, numbered_text


def menu() -> OutboundMessage:
    return OutboundMessage(
        text="چه کاری؟", buttons=[OutButton(id="a1", title="پیگیری پرونده"), OutButton(id="b2", title="راهنما")]
    )


def test_buttons_become_numbered_lines():
    assert numbered_text(menu(), "عدد را بفرستید.") == "چه کاری؟\n۱. پیگیری پرونده\n۲. راهنما\nعدد را بفرستید."
    assert numbered_text(OutboundMessage(text="سلام"), "x") == "سلام"


async def test_a_number_picks_the_last_options(redis):
    options = NumberedOptions(redis)
    await options.remember("sms:1", [OutboundMessage(text="سلام"), menu()])
    assert await options.button_for("sms:1", "۲") == "b2"
    assert await options.button_for("sms:1", " 1 ") == "a1"
    assert await options.button_for("sms:1", "3") is None
    assert await options.button_for("sms:1", "سلام") is None
    assert await options.button_for("sms:other", "1") is None
