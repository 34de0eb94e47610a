"""Who may use the desk's API: login (right, wrong, locked, too fast), sessions that expire, CSRF,
roles, and 401 on every /desk/api path without a session."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from sqlalchemy import select

from desk.models import AuditEntry
from desk.users import StaffUsers
from desk.web import DESK_APP, DESK_WEB, access
from desk.web.sessions import key_of
from tests.desk.web.conftest import PASSWORD, login


async def audit_actions(desk) -> list[tuple[str, str | None]]:
    async with desk.sessions() as session:
        rows = await session.execute(select(AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id))
        return [tuple(row) for row in rows if row[0] != "user_created"]


async def test_login_sets_a_strict_session_cookie_and_returns_a_csrf_token(desk, browser_of, caplog):
    client = await browser_of()
    caplog.set_level(logging.INFO)
    response = await client.post("/desk/api/login", json={"username": "Ali", "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert len(body["csrf_token"]) >= 32
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("hamyar_desk=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/desk", "Max-Age=3600"):
        assert attribute in cookie, cookie
    assert "Secure" not in cookie  # the gateway's public URL is not https here
    session_id = re.match(r"hamyar_desk=([^;]+)", cookie).group(1)
    assert session_id != body["csrf_token"]
    me = await client.get("/desk/api/me")
    assert me.status == 200
    assert await me.json() == {
        "username": "ali",
        "first_name": "علی",
        "role": "agent",
        "agencies": ["sabt"],
        "csrf_token": body["csrf_token"],
    }
    assert me.headers["Cache-Control"] == "no-store"
    assert ("login", "ali") in await audit_actions(desk)
    assert PASSWORD not in caplog.text and session_id not in caplog.text


async def test_the_cookie_is_secure_behind_https(redis_server, redis, tmp_path, monkeypatch):
    from tests.desk.web.conftest import start_desk

    async for desk in start_desk(redis_server, tmp_path, monkeypatch, public_url="https://desk.example"):
        client = desk.client()
        await client.start_server()
        response = await client.post("/desk/api/login", json={"username": "ali", "password": PASSWORD})
        assert "Secure" in response.headers["Set-Cookie"]
        await client.close()


async def test_a_wrong_password_or_unknown_user_is_refused_kindly_and_audited(desk, browser_of, caplog):
    client = await browser_of()
    caplog.set_level(logging.INFO)
    for username, password in (("ali", "not the password"), ("nobody", "a secret typed here")):
        response = await client.post("/desk/api/login", json={"username": username, "password": password})
        assert response.status == 401
        body = await response.json()
        assert body["error"] == "login_failed" and "رمز عبور درست نیست" in body["text"]
        assert "Set-Cookie" not in response.headers
    assert (await client.get("/desk/api/me")).status == 401
    assert await audit_actions(desk) == [("login_failed", "ali"), ("login_failed", None)]
    assert "not the password" not in caplog.text and "a secret typed here" not in caplog.text
    assert "nobody" not in caplog.text
    for body in ([], {"username": "ali"}, {"username": 1, "password": PASSWORD}):
        assert (await client.post("/desk/api/login", json=body)).status == 400


async def test_a_locked_account_stays_locked_until_its_time_has_passed(desk, browser_of):
    client = await browser_of()
    for _ in range(3):  # DESK_MAX_FAILED_LOGINS
        assert (await client.post("/desk/api/login", json={"username": "sara", "password": "wrong wrong"})).status == 401
    desk.clock.advance(minutes=1)
    locked = await client.post("/desk/api/login", json={"username": "sara", "password": PASSWORD})
    assert locked.status == 401 and "Set-Cookie" not in locked.headers
    desk.clock.advance(minutes=15)
    await login(client, "sara")
    assert ("login_failed", "sara") in await audit_actions(desk)


async def test_login_attempts_from_one_address_are_rate_limited(desk, browser_of):
    client = await browser_of()
    for _ in range(6):  # DESK_LOGIN_ATTEMPTS_PER_MINUTE
        assert (await client.post("/desk/api/login", json={"username": "ali", "password": "wrong wrong"})).status == 401
    refused = await client.post("/desk/api/login", json={"username": "ali", "password": PASSWORD})
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0
    body = await refused.json()
    assert body["error"] == "slow_down" and "دوباره امتحان کنید" in body["text"]
    assert re.search("[۰-۹]", body["text"]) and not re.search("[0-9]", body["text"])


async def test_a_session_ends_after_its_lifetime(desk, browser_of):
    client = await browser_of()
    await login(client, "ali")
    desk.clock.advance(minutes=59)
    assert (await client.get("/desk/api/me")).status == 200
    desk.clock.advance(minutes=1)  # DESK_SESSION_MINUTES
    assert (await client.get("/desk/api/me")).status == 401
    assert (await client.get("/desk/api/queue")).status == 401


async def test_a_disabled_user_loses_their_session(desk, browser_of):
    client = await browser_of()
    await login(client, "ali")
    async with desk.sessions() as session, session.begin():
        await StaffUsers(session).disable("ali")
    assert (await client.get("/desk/api/me")).status == 401


async def test_a_new_password_ends_the_sessions_opened_with_the_old_one(desk, browser_of):
    first, second = await browser_of(), await browser_of()
    await login(first, "ali")
    await login(second, "ali")
    async with desk.sessions() as session, session.begin():
        await StaffUsers(session).reset_password("ali", "a-new-long-passphrase-42")
    assert (await first.get("/desk/api/me")).status == 401
    assert (await second.get("/desk/api/queue")).status == 401
    third = await browser_of()
    await login(third, "ali", "a-new-long-passphrase-42")
    assert (await third.get("/desk/api/me")).status == 200


async def test_a_session_without_the_password_credential_is_refused(desk, browser_of, redis):
    client = await browser_of()
    await login(client, "ali")
    session_id = next(c.value for c in client.session.cookie_jar if c.key == access.COOKIE)
    stored = await desk.app[DESK_WEB].sessions.get(session_id, desk.clock())
    assert stored is not None and len(stored.credential) == 32
    # A session from before credentials were kept (or made without one) holds nothing.
    await redis.hdel(key_of(session_id), "credential")
    assert (await client.get("/desk/api/me")).status == 401


async def test_a_state_change_needs_the_session_csrf_token(desk, browser_of):
    client = await browser_of()
    token = await login(client, "ali")
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": token[:-1] + "x"}, {"X-CSRF-Token": "نه"}):
        response = await client.post("/desk/api/logout", headers=headers)
        assert response.status == 403 and (await response.json())["error"] == "csrf", headers
    # Another user's token is not this session's either.
    other = await browser_of()
    other_token = await login(other, "sara")
    assert (await client.post("/desk/api/logout", headers={"X-CSRF-Token": other_token})).status == 403
    assert (await client.get("/desk/api/me")).status == 200
    cross = await client.post("/desk/api/logout", headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert cross.status == 403
    assert (await client.post("/desk/api/logout", headers={"X-CSRF-Token": token})).status == 200
    assert (await client.get("/desk/api/me")).status == 401
    assert ("logout", "ali") in await audit_actions(desk)


async def test_a_login_from_another_site_is_refused(desk, browser_of):
    client = await browser_of()
    response = await client.post(
        "/desk/api/login", json={"username": "ali", "password": PASSWORD}, headers={"Origin": "https://evil.example"}
    )
    assert response.status == 403 and "Set-Cookie" not in response.headers


def api_routes(app: web.Application) -> list[tuple[str, str, object]]:
    """Every route the desk serves under /desk/api, with its path's variables filled in."""
    found = []
    for route in app[DESK_APP].router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/desk/api"):
            found.append((route.method, re.sub(r"\{[^}]+\}", "x", path), route.handler))
    return found


async def test_every_api_path_answers_401_without_a_session(desk, browser_of):
    client = await browser_of()
    routes = api_routes(client.server.app)
    assert {(method, path) for method, path, _ in routes} >= {
        ("POST", "/desk/api/login"),
        ("POST", "/desk/api/logout"),
        ("GET", "/desk/api/me"),
        ("GET", "/desk/api/queue"),
        ("GET", "/desk/api/queue/events"),
        ("GET", "/desk/api/supervisor"),
    }
    public = [(method, path) for method, path, handler in routes if getattr(handler, "desk_public", False)]
    assert public == [("POST", "/desk/api/login")]
    for cookie in (None, "made-up", "x" * 500):
        client.session.cookie_jar.clear()
        if cookie:
            client.session.cookie_jar.update_cookies({access.COOKIE: cookie})
        for method, path, handler in routes:
            if (method, path) in public:
                continue
            response = await client.request(method, path, headers={"X-CSRF-Token": "anything"})
            assert response.status == 401, (method, path, cookie)
            assert await response.json() == {"error": "no_session"}
    # Paths not served are no help to someone without a session either.
    assert (await client.get("/desk/api/no-such-thing")).status == 401


async def test_roles(desk, browser_of):
    for username, status in (("ali", 403), ("sara", 200), ("root", 200)):
        client = await browser_of()
        await login(client, username)
        response = await client.get("/desk/api/supervisor")
        assert response.status == status, username
        assert (await client.get("/desk/api/queue")).status == 200


async def test_the_pages_are_persian_right_to_left_with_a_strict_policy(desk, browser_of):
    client = await browser_of()
    redirected = await client.get("/desk/", allow_redirects=False)
    assert redirected.status == 302 and redirected.headers["Location"] == "/desk/login"
    assert (await client.get("/desk", allow_redirects=False)).headers["Location"] == "/desk/"
    page = await client.get("/desk/login")
    html = await page.text()
    assert '<html lang="fa" dir="rtl">' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert "require-trusted-types-for 'script'" in policy
    await login(client, "ali")
    queue_page = await client.get("/desk/")
    assert queue_page.status == 200 and 'id="queue"' in await queue_page.text()
    for name in ("desk.js", "queue.js", "login.js", "desk.css"):
        assert (await client.get(f"/desk/static/{name}")).status == 200
    # The web chat keeps its own policy.
    assert "trusted-types" not in (await client.get("/static/chat.css")).headers["Content-Security-Policy"]


def test_the_pages_have_no_inline_code_and_write_no_html():
    from desk.web import STATIC

    for page in STATIC.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], page.name
        assert not re.search(r"\son[a-z]+\s*=", html) and "style=" not in html, page.name
    for script in STATIC.glob("*.js"):
        code = script.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, (script.name, sink)


async def test_the_openapi_file_describes_every_api_route(desk, browser_of):
    import yaml

    from desk.web import OPENAPI

    described = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))["paths"]
    client = await browser_of()
    for route in client.server.app[DESK_APP].router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/desk/api") and route.method != "HEAD":
            assert route.method.lower() in described.get(path, {}), (route.method, path)
