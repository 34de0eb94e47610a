"""`make run` writes every secret the configuration names to .env, and the gateway names (never
shows) each configured source whose secret is missing."""

from __future__ import annotations

import os
import re
import selectors
import stat
import subprocess
import time
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

from tests.conftest import ROOT, free_port

# Named by the processes themselves (issue 20), not by config/*.yml.
PROCESS_SECRETS = {
    "RASA_CHANNEL_TOKEN",
    "RASA_API_TOKEN",
    "ACTION_SERVER_TOKEN",
    "REDIS_PASSWORD",
    "WEB_SESSION_SECRET",
    "HAMYAR_DATA_KEY",
    "SANDBOX_CONTROL_TOKEN",
    "HAMYAR_ADMIN_TOKEN",
    "IDENTITY_TOKEN",
    "SMS_TOKEN",
}


def configured_names() -> set[str]:
    """Every agency's token and, for agencies that call back, its callback secret, read from the config."""
    agencies = yaml.safe_load((ROOT / "config" / "agencies.yml").read_text(encoding="utf-8"))["agencies"]
    fields = [a["token"] for a in agencies] + [
        a["callback_secret"] for a in agencies if a.get("case_updates", "callback") == "callback"
    ]
    return {re.search(r"\$\{(\w+)", field).group(1) for field in fields}


def ensure_secrets(root: Path, **env: str) -> dict[str, str]:
    """Run common.sh's ensure_secrets with ``root`` as the checkout; the .env it leaves, parsed."""
    script = f'source "{ROOT}/scripts/common.sh"; ROOT="{root}"; ensure_secrets'
    clean = {"PATH": os.environ["PATH"], "HOME": str(root), **env}
    done = subprocess.run(["bash", "-c", script], env=clean, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = (root / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_make_run_generates_every_secret_the_configuration_names(tmp_path):
    values = ensure_secrets(tmp_path)

    wanted = PROCESS_SECRETS | configured_names()
    assert "AGENCY_TAMIN_CALLBACK_SECRET" in wanted  # تأمین اجتماعی calls back (config/agencies.yml)
    assert wanted <= set(values), f"not generated: {sorted(wanted - set(values))}"
    assert all(len(values[name]) >= 32 for name in wanted)
    assert len({values[name] for name in wanted}) == len(wanted)
    Fernet(values["HAMYAR_DATA_KEY"].encode())  # a usable key, not just random text
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_secrets_are_generated_once_and_never_over_what_the_environment_gives(tmp_path):
    first = ensure_secrets(tmp_path)
    again = ensure_secrets(tmp_path)
    assert again == first

    other = tmp_path / "other"
    other.mkdir()
    values = ensure_secrets(other, AGENCY_TAMIN_TOKEN="the-real-token-from-the-agency", TELEGRAM_TOKEN="123:ABC")
    assert "AGENCY_TAMIN_TOKEN" not in values
    # A messenger, once its token is set, needs a webhook secret: that is generated too.
    assert len(values["TELEGRAM_WEBHOOK_SECRET"]) >= 32


def test_the_gateway_names_each_configured_source_whose_secret_is_missing():
    given = {"RASA_CHANNEL_TOKEN": "channel-token-" + "c" * 20, "AGENCY_TAMIN_TOKEN": "agency-token-" + "t" * 20}
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "GATEWAY_PORT": str(free_port()),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "PUBLISH_CONTENT_ON_START": "false",
        "CASE_POLL_SECONDS": "0",
        **given,
    }
    process = subprocess.Popen(
        [str(ROOT / ".venvs" / "app" / "bin" / "python"), "-m", "connectors.gateway"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        while "AGENCY_TAMIN_CALLBACK_SECRET" not in output and time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=1):
                output += process.stdout.readline()
    finally:
        process.terminate()
        output += process.communicate(timeout=20)[0]
    warning = next((line for line in output.splitlines() if "AGENCY_TAMIN_CALLBACK_SECRET" in line), "")
    assert "WARNING" in warning, output[-3000:]
    assert "IDENTITY_TOKEN" in warning and "AGENCY_TAMIN_TOKEN" not in warning
    assert not any(value in output for value in given.values())
