"""The console in a real headless Chromium (Debian's), against the real app served by uvicorn with
the real NLU: what an operator and a tourist see, end to end. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect

from actions.api_keys import Role
from actions.console import create_account
from actions.db.base import utcnow
from actions.db.models import Subscription, User
from actions.db.session import create_engine, create_session_factory
from bot.app import create_app
from bot.settings import Settings
from tests.bot.channels.conftest import line_api, line_settings
from tests.conftest import ROOT, free_port
from tests.console.conftest import PASSWORD
from tests.fakes.line_api import FakeLineApi

__all__ = ["line_api"]

pytestmark = [pytest.mark.browser, pytest.mark.nlu]

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
THAI_SOS = "ช่วยด้วย มีคนจมน้ำที่หาดป่าตอง"
PATONG = (7.896, 98.2955)
REFERENCE = re.compile(r"PKT-[2-9A-HJ-NP-Z]{4}")


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[str]:
    """The app under a real uvicorn on a free port, in a thread with its own event loop."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-under-test", daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


async def _seed(database_url: str) -> None:
    """Accounts and subscribers, written as another process would (the app has migrated already)."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            now = utcnow()
            for username, role, language in (("somchai", Role.OPERATOR, "th"), ("malee", Role.VIEWER, "en")):
                await create_account(
                    session,
                    username=username,
                    password=PASSWORD,
                    agency="tourist-police",
                    role=role,
                    created_by="test",
                    now=now,
                    language=language,
                )
            for channel, user_id in (("line", "U-sub-1"), ("line", "U-sub-2"), ("web", "web-sub-1")):
                user = User(channel=channel, channel_user_id=user_id, language="th", created_at=now)
                session.add(user)
                await session.flush()
                session.add(
                    Subscription(user_id=user.id, lat=PATONG[0], lon=PATONG[1], radius_m=5000, label="Patong")
                )
            await session.commit()
    finally:
        await engine.dispose()


async def _sign_in(browser: Browser, url: str, username: str, password: str = PASSWORD) -> Page:
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    page = await context.new_page()
    await page.goto(f"{url}/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    return page


async def test_an_operator_works_a_thai_sos_and_issues_a_warning(
    database_url: str, nlu_url: str, line_api: FakeLineApi
) -> None:
    settings = line_settings(
        database_url, nlu_url, line_api, load_demo_places=True, delivery_poll_interval_s=0.2
    )
    async with served(settings) as url, async_playwright() as playwright:
        await _seed(database_url)
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # A wrong password is refused.
            refused = await _sign_in(browser, url, "somchai", "not the password")
            await expect(refused.locator(".refusal")).to_be_visible()
            assert "/console/login" in refused.url
            await refused.context.close()

            # Sign in; the queue and the map are open before the SOS comes.
            console = await _sign_in(browser, url, "somchai")
            await console.wait_for_url(f"{url}/console")
            await console.wait_for_function("window.consoleMap !== undefined")
            await console.evaluate("window.notReloaded = true")

            # A tourist writes an SOS in Thai on the web chat (POST /api/v1/chat).
            tourist_context = await browser.new_context(locale="th-TH")
            tourist = await tourist_context.new_page()
            await tourist.goto(url)
            await tourist.fill("#text", THAI_SOS)
            await tourist.press("#text", "Enter")
            reply = tourist.locator(".msg.bot", has_text="PKT-")
            await expect(reply.first).to_be_visible(timeout=15_000)
            match = REFERENCE.search(await reply.first.inner_text())
            assert match, await reply.first.inner_text()
            reference = match.group(0)

            # It appears in the queue and on the map without a reload, with the badge.
            row = console.locator(f'tr[data-reference="{reference}"]')
            await expect(row).to_be_visible(timeout=10_000)
            await expect(row.locator(".status")).to_have_class(re.compile("s-new"))
            await console.wait_for_function(
                f"(document.getElementById('map').dataset.references || '').includes('{reference}')",
                timeout=10_000,
            )
            await expect(console.locator("#badge")).to_have_text("1")
            assert await console.evaluate("window.notReloaded") is True
            await console.screenshot(path=str(SCREENSHOTS / "console-queue-map.png"))

            # The incident page: claim it, acknowledge it, send a phrase.
            await row.locator("a").click()
            await console.wait_for_url(f"{url}/console/incidents/{reference}")
            await expect(console.locator(".conversation")).to_contain_text(THAI_SOS)
            await console.click(f'button[hx-post="/console/incidents/{reference}/claim"]')
            await expect(console.locator("#claimed-by")).to_contain_text("somchai")
            await console.click("button.status-button[value=acknowledged]")
            await expect(console.locator(".facts .status")).to_have_class(re.compile("s-acknowledged"))
            await console.click("button[data-phrase=help_on_the_way]")
            await expect(console.locator(".msg.k-phrase")).to_contain_text("ความช่วยเหลือกำลังไปหาคุณ")

            # The tourist's chat shows both, in Thai, without typing anything.
            status_notice = f"อัปเดตการแจ้งเหตุ {reference} ของคุณ"
            await expect(tourist.locator(".msg.bot", has_text=status_notice)).to_be_visible(timeout=10_000)
            phrase = tourist.locator(".msg.bot", has_text="ความช่วยเหลือกำลังไปหาคุณ")
            await expect(phrase).to_be_visible(timeout=10_000)
            assert f"เจ้าหน้าที่แจ้งเกี่ยวกับเหตุ {reference} ของคุณ" in await phrase.inner_text()

            # The tourist answers; the answer appears on the incident page by itself.
            await tourist.fill("#text", "เพื่อนหมดสติอยู่บนชายหาด")
            await tourist.press("#text", "Enter")
            await expect(console.locator(".msg.in", has_text="เพื่อนหมดสติอยู่บนชายหาด")).to_be_visible(
                timeout=10_000
            )
            await console.screenshot(path=str(SCREENSHOTS / "console-incident.png"), full_page=True)

            # A warning drawn on the map: the reach before sending, then delivery per channel.
            await console.goto(f"{url}/console/alerts/new")
            await console.wait_for_function("window.consoleMap !== undefined")
            await console.click("button[data-draw=circle]")
            x, y = await console.evaluate(
                f"""() => {{
                    const map = window.consoleMap;
                    const point = map.latLngToContainerPoint([{PATONG[0]}, {PATONG[1]}]);
                    const box = map.getContainer().getBoundingClientRect();
                    return [box.left + point.x, box.top + point.y];
                }}"""
            )
            await console.mouse.click(x, y)
            await expect(console.locator("#reach-total")).to_contain_text("3")
            await console.select_option("select[name=hazard]", "rip_current")
            await console.fill("input[name=headline_th]", "กระแสน้ำย้อนกลับที่ป่าตอง")
            await console.fill("input[name=instruction_th]", "ห้ามลงเล่นน้ำ")
            await console.fill("input[name=headline_en]", "Rip currents at Patong")
            await console.fill("input[name=instruction_en]", "Do not swim")
            await console.click("#send-alert")
            await console.wait_for_url(re.compile(r".*/console/alerts/\d+$"))
            await expect(console.locator('tr[data-channel="line"] td.d-sent')).to_have_text(
                "2", timeout=15_000
            )
            await expect(console.locator('tr[data-channel="web"] td.d-skipped')).to_have_text("1")
            await console.screenshot(path=str(SCREENSHOTS / "console-alert.png"), full_page=True)
            assert len(line_api.multicast_counts()) >= 1

            # A viewer sees the incident but no button, and a write is refused.
            viewer = await _sign_in(browser, url, "malee")
            await viewer.wait_for_url(f"{url}/console")
            await viewer.goto(f"{url}/console/incidents/{reference}")
            await expect(viewer.locator(".facts h1")).to_contain_text(reference)
            assert (
                await viewer.locator(f'button[hx-post="/console/incidents/{reference}/claim"]').count() == 0
            )
            assert await viewer.locator("button[data-phrase]").count() == 0
            status = await viewer.evaluate(
                f"""async () => {{
                    const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
                    const response = await fetch('/console/incidents/{reference}/release',
                        {{method: 'POST', headers: {{'X-CSRF-Token': token}}}});
                    return response.status;
                }}"""
            )
            assert status == 403
        finally:
            await browser.close()


@pytest.fixture(autouse=True)
def _screenshot_folder() -> None:
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
