"""Issue 20, item 8: in a messenger group nobody's identity serves the others; identity steps
move to a private chat with the bot."""

from __future__ import annotations

import pytest

from tests.integration.test_messenger import SECRET, chat, deliver, message_update, messenger, settled  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


async def test_a_group_is_sent_to_a_private_chat_for_a_case(messenger):  # noqa: F811 - the fixture
    name, fake, url = messenger
    group = -chat()
    update = message_update(group, "پرونده 7140508213457", user_id=chat())
    update["message"]["chat"]["type"] = "supergroup"
    assert await deliver(url, name, update) == 200
    text = "\n".join(await settled(fake, group))
    assert "گفتگوی خصوصی" in text
    assert "کد ملی صاحب پرونده را بنویسید" not in text  # never asked for one in the group
