"""The desk in Debian's Chromium: logging in, a citizen appearing live in the queue, a message
holding HTML or JavaScript shown as inert text, and a call-back request appearing live."""

from __future__ import annotations

import os

import pytest

from connectors.keys import HANDOFFS
from desk.handoff import Turn
from desk.models import Author, utcnow
from desk.web import DESK_WEB
from tests.desk.web.conftest import PASSWORD

pytestmark = [pytest.mark.browser]

ATTACK = "<img src=x onerror=alert(1)>"


async def test_an_agent_sees_citizens_arrive_live_and_their_words_stay_text(desk, chromium, tmp_path, redis):
    from playwright.async_api import async_playwright, expect

    desk.app[DESK_WEB].clock = utcnow  # the whole desk (queue, handoffs, pages) in real time, as the page counts
    handoffs = desk.app[HANDOFFS]
    base = str(desk.server.make_url("")).rstrip("/")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = await browser.new_page(locale="fa-IR")
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        await page.goto(base + "/desk/")
        await expect(page).to_have_url(base + "/desk/login")
        assert await page.get_attribute("html", "dir") == "rtl"
        await page.fill("#username", "ali")
        await page.fill("#password", "not the password")
        await page.click("#enter")
        await expect(page.locator("#status")).to_contain_text("رمز عبور درست نیست")
        await page.fill("#password", PASSWORD)
        await page.click("#enter")
        await expect(page).to_have_url(base + "/desk/")
        await expect(page.locator("#who")).to_have_text("علی (کارشناس)")
        await expect(page.locator("#empty")).to_be_visible()

        # A citizen asks for a person: the queue shows them without a reload.
        await handoffs.start("telegram:42", "telegram", "sabt", "request", [Turn(Author.citizen, "کد ملی من ۰۰۱۲۳۴۵۶۷۸ است")])
        item = page.locator("#queue li[data-conversation='telegram:42']")
        await expect(item).to_be_visible(timeout=10000)
        await expect(item.locator(".agency")).to_have_text("ثبت احوال")
        await expect(item.locator(".channel")).to_have_text("تلگرام")
        await expect(item.locator(".reason")).to_have_text("درخواست گفتگو با کارشناس")
        await expect(item.locator(".waiting")).to_contain_text("در انتظار")
        await expect(item.locator(".preview")).to_have_text("کد ملی من ********۷۸ است")
        await expect(page.locator("#empty")).to_be_hidden()

        # A complaint goes first, marked high; its HTML is shown as the characters typed.
        await handoffs.start("web:7", "web", "sabt", "complaint", [Turn(Author.citizen, ATTACK)])
        first = page.locator("#queue li").first
        await expect(first).to_have_attribute("data-conversation", "web:7", timeout=10000)
        await expect(first.locator(".priority")).to_have_text("اولویت بالا: شکایت")
        await expect(first.locator(".preview")).to_have_text(ATTACK)
        assert await page.locator("#queue img").count() == 0
        await page.screenshot(path=os.environ.get("HAMYAR_DESK_SCREENSHOT", str(tmp_path / "desk.png")), full_page=True)

        # Another agency's citizen is not this agent's.
        await handoffs.start("bale:9", "bale", "tamin", "request", [Turn(Author.citizen, "سلام")])
        await handoffs.cancel("web:7")
        await expect(page.locator("#queue li")).to_have_count(1, timeout=10000)
        await expect(page.locator("#queue li")).to_have_attribute("data-conversation", "telegram:42")

        # A citizen arranges a call-back: the list shows it without a reload, the phone masked.
        await desk.arrange_callback(redis, "telegram:77", "09121234567")
        await expect(page.locator("#callbacks li.callback")).to_have_count(1, timeout=10000)
        await expect(page.locator("#callbacks li.callback")).to_contain_text("۶۷")
        await expect(page.locator("#callbacks-empty")).to_be_hidden()

        await page.click("#logout")
        await expect(page).to_have_url(base + "/desk/login")
        await browser.close()
    assert dialogs == [] and errors == []
