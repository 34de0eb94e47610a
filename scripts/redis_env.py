"""Print shell exports of a Redis URL's parts, for Rasa's endpoints.yml."""

import shlex
import sys
from urllib.parse import urlparse

url = urlparse(sys.argv[1])
parts = {"REDIS_HOST": url.hostname or "127.0.0.1", "REDIS_PORT": str(url.port or 6379), "REDIS_DB": (url.path or "/0").lstrip("/") or "0"}
print(" ".join(f"export {k}={shlex.quote(v)};" for k, v in parts.items()))
