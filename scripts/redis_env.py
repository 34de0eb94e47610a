"""Print shell exports of REDIS_URL's parts, for Rasa's endpoints.yml (tracker and lock stores).

The URL is read from the environment, not the command line, because it carries the password
and any local user can read a process's arguments.
"""

from __future__ import annotations

import os
import shlex
from urllib.parse import unquote, urlparse


def redis_parts(redis_url: str) -> dict[str, str]:
    """Host, port, database and credentials of a ``redis://[user:password@]host:port/db`` URL."""
    url = urlparse(redis_url)
    return {
        "REDIS_HOST": url.hostname or "127.0.0.1",
        "REDIS_PORT": str(url.port or 6379),
        "REDIS_DB": (url.path or "/0").lstrip("/") or "0",
        "REDIS_USERNAME": unquote(url.username or ""),
        "REDIS_PASSWORD": unquote(url.password or ""),
    }


def main() -> None:
    parts = redis_parts(os.environ["REDIS_URL"])
    print(" ".join(f"export {name}={shlex.quote(value)};" for name, value in parts.items()))


if __name__ == "__main__":
    main()
