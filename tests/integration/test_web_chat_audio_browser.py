"""The web chat's voice in Debian's Chromium: «🔊 بشنوید» shows an <audio> element playing OGG/Opus
from the gateway, and «همیشه صوتی» makes the next answer carry its voice."""

from __future__ import annotations

import pytest

from tests.integration.test_web_chat_browser import chromium

pytestmark = [pytest.mark.integration, pytest.mark.browser]
__all__ = ["chromium"]  # the fixture, used here by name
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


async def test_a_reply_is_heard_in_the_page(stack, chromium):
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
        page = await browser.new_page(locale="fa-IR")
        await page.goto(stack.gateway + "/")
        await expect(page.locator(".msg.bot").first).to_contain_text("همیار", timeout=20000)
        await page.fill("#text", "سامانه پاسپورت کار میکنه؟")
        await page.click("#send")
        await expect(page.locator(".msg.bot", has_text="سامانه گذرنامه الان کار می‌کند")).to_be_visible(timeout=20000)
        assert await page.locator("audio").count() == 0
        await page.get_by_role("button", name="🔊 بشنوید").last.click()
        audio = page.locator(".msg.bot audio").last
        await expect(audio).to_be_attached(timeout=20000)
        source = await audio.get_attribute("src")
        assert source is not None
        url = source if source.startswith("http") else stack.gateway + source
        assert url.startswith(stack.gateway + "/voice/")  # served by the gateway, same origin
        response = await page.request.get(url)
        assert response.status == 200 and response.headers["content-type"].startswith("audio/ogg")
        body = await response.body()
        assert body[:4] == b"OggS" and b"OpusHead" in body[:64]  # an Ogg stream of Opus
        # «همیشه صوتی»: from now on every answer comes with its voice.
        await page.get_by_role("button", name="همیشه صوتی").last.click()
        await expect(page.locator(".msg.bot", has_text="هر پاسخ را صوتی هم می‌فرستم")).to_be_visible(timeout=20000)
        heard = await page.locator(".msg.bot audio").count()
        await page.fill("#text", "سامانه گواهینامه کار میکنه؟")
        await page.click("#send")
        await expect(page.locator(".msg.bot", has_text="سامانه گواهینامه")).to_be_visible(timeout=20000)
        await expect(page.locator(".msg.bot audio")).to_have_count(heard + 1, timeout=20000)
        await browser.close()
