"""The web chat in Debian's Chromium: greeting, buttons, typing, replies arriving as events."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = os.environ.get("HAMYAR_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed; `make test` installs Debian's chromium")
    return path


async def test_citizen_uses_the_chat_page(stack, chromium, tmp_path):
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = await browser.new_page(locale="fa-IR")
        await page.goto(stack.gateway + "/")
        assert await page.get_attribute("html", "dir") == "rtl"
        # The assistant introduces itself with its menu.
        await expect(page.locator(".msg.bot").first).to_contain_text("همیار", timeout=20000)
        await expect(page.get_by_role("button", name="وضعیت سامانه‌ها")).to_be_visible()
        await page.get_by_role("button", name="وضعیت سامانه‌ها").click()
        await page.get_by_role("button", name="پلیس +۱۰").last.click()
        await page.get_by_role("button", name="گذرنامه").last.click()
        await expect(page.locator(".msg.bot", has_text="سامانه گذرنامه الان کار می‌کند")).to_be_visible(timeout=20000)
        # Typing works too, and the answer arrives through the event stream.
        await page.fill("#text", "چطور پاسپورت بگیرم؟")
        await page.click("#send")
        await expect(page.locator(".msg.me").last).to_have_text("چطور پاسپورت بگیرم؟")
        await expect(page.locator(".msg.bot", has_text="مرحله ۱ از")).to_be_visible(timeout=20000)
        await page.get_by_role("button", name="مرحله بعد").last.click()
        await expect(page.locator(".msg.bot", has_text="مرحله ۲ از")).to_be_visible(timeout=20000)
        # A reload replays the conversation instead of starting over.
        bot_count, own_count = await page.locator(".msg.bot").count(), await page.locator(".msg.me").count()
        await page.reload()
        await expect(page.locator(".msg.bot", has_text="مرحله ۲ از")).to_be_visible(timeout=20000)
        assert await page.locator(".msg.bot").count() == bot_count
        # The citizen's own messages and button choices are in the history too.
        await expect(page.locator(".msg.me")).to_have_count(own_count)
        await expect(page.locator(".msg.me", has_text="چطور پاسپورت بگیرم؟")).to_be_visible()
        await page.screenshot(path=os.environ.get("HAMYAR_SCREENSHOT", str(tmp_path / "chat.png")), full_page=True)
        await browser.close()
