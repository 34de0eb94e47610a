"""The whole job in Debian's Chromium, on the real stack: a citizen in the web chat asks for a
person, an agent logs in to the desk, sees them arrive, takes the conversation, reads what was
said, replies (an agent bubble with the agent's first name in the citizen's chat), hears more
live, and hands back to the bot with a note; the bot answers the citizen's next question."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from desk.db import make_engine, session_factory
from desk.models import Handoff, Outcome
from desk.settings import DeskSettings
from desk.users import StaffUsers
from tests.desk.web.conftest import PASSWORD
from tests.integration.test_desk_handoff import OPERATOR
from tests.integration.test_desk_handoff import desk as desk  # noqa: F401  (a gateway of its own, the desk open now)
from tests.integration.test_web_chat_browser import chromium as chromium  # noqa: F401  (Debian's Chromium)

pytestmark = [pytest.mark.integration, pytest.mark.browser]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
REPLY = "سلام، من سارا هستم. پرونده شما را می‌بینم."


async def add_agent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await StaffUsers(session, DeskSettings(database_url=database_url)).create(
                "sara", "agent", PASSWORD, first_name="سارا"
            )
    finally:
        await engine.dispose()


async def test_an_agent_does_the_whole_job_in_the_browser(stack, desk, chromium, tmp_path):  # noqa: F811
    from playwright.async_api import async_playwright, expect

    await add_agent(desk.database_url)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
        errors: list[str] = []
        citizen = await (await browser.new_context(locale="fa-IR")).new_page()
        agent = await (await browser.new_context(locale="fa-IR")).new_page()
        for page in (citizen, agent):
            page.on("pageerror", lambda error: errors.append(str(error)))

        # The citizen asks for a person.
        await citizen.goto(desk.url + "/")
        await expect(citizen.locator(".msg.bot").first).to_contain_text("همیار", timeout=20000)
        await citizen.fill("#text", OPERATOR)
        await citizen.click("#send")
        await expect(citizen.locator(".msg.bot", has_text="صف کارشناسان")).to_be_visible(timeout=20000)

        # The agent logs in and sees them waiting.
        await agent.goto(desk.url + "/desk/")
        await agent.fill("#username", "sara")
        await agent.fill("#password", PASSWORD)
        await agent.click("#enter")
        await expect(agent.locator("#who")).to_have_text("سارا (کارشناس)")
        item = agent.locator("#queue li[data-conversation^='web:']")
        await expect(item).to_have_count(1, timeout=10000)
        await expect(item.locator(".preview")).to_have_text(OPERATOR)
        await item.locator("button.take").click()

        # Taken: the transcript, and the citizen told a person has it.
        await expect(agent).to_have_url(re.compile(r"/desk/conversation\?id=web%3A"), timeout=10000)
        await expect(agent.locator("#transcript .line.citizen .text").first).to_have_text(OPERATOR, timeout=10000)
        await expect(agent.locator("#info .state")).to_have_text("در حال گفتگو")
        await expect(citizen.locator(".msg.bot", has_text="برداشته است")).to_be_visible(timeout=10000)

        # The citizen writes again: it arrives on the agent's page without a reload.
        await citizen.fill("#text", "کارت ملی من کجاست؟")
        await citizen.click("#send")
        await expect(agent.locator("#transcript .line.citizen", has_text="کارت ملی من کجاست؟")).to_be_visible(timeout=10000)

        # The agent replies: the citizen sees a bubble signed with the agent's first name.
        await agent.fill("#reply-text", REPLY)
        await agent.click("#send")
        bubble = citizen.locator(".msg.agent")
        await expect(bubble).to_contain_text(REPLY, timeout=10000)
        await expect(bubble.locator(".name")).to_have_text("سارا (کارشناس)")
        await expect(agent.locator("#transcript .line.agent .text")).to_have_text(REPLY, timeout=10000)

        # Back to the bot with a note; the bot tells the citizen and answers the next question.
        await agent.fill("#release-note", "راهنمایی شد")
        await agent.click("#release-button")
        await expect(agent).to_have_url(desk.url + "/desk/", timeout=10000)
        await expect(citizen.locator(".msg.bot", has_text="همیار دوباره در خدمت شماست")).to_be_visible(timeout=20000)
        await citizen.fill("#text", "سامانه پاسپورت کار میکنه؟")
        await citizen.click("#send")
        await expect(citizen.locator(".msg.bot", has_text="سامانه گذرنامه")).to_be_visible(timeout=20000)
        await agent.screenshot(path=os.environ.get("HAMYAR_DESK_JOB_SCREENSHOT", str(tmp_path / "desk-job.png")), full_page=True)
        await browser.close()
    assert errors == []
    engine = make_engine(desk.database_url)
    async with session_factory(engine)() as session:
        [record] = (await session.execute(select(Handoff))).scalars()
    await engine.dispose()
    assert (record.outcome, record.release_note) == (Outcome.returned_to_bot, "راهنمایی شد")
