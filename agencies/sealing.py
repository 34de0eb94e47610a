"""Personal identifiers sealed at rest (Fernet: AES with an HMAC), with a key from the environment.

``HAMYAR_DATA_KEY`` is a urlsafe-base64 32-byte key (``make run`` generates it into ``.env``);
``HAMYAR_DATA_KEY_OLD`` lets values sealed under a previous key still be opened while they age out.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Mapping, Optional

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealingKeyMissing(RuntimeError):
    """No key to seal with: personal data must not be kept in the clear instead."""


class Sealer:
    def __init__(self, key: str, old_keys: tuple[str, ...] = ()) -> None:
        self._fernet = MultiFernet([Fernet(key.encode()), *(Fernet(k.encode()) for k in old_keys if k)])
        # Hashing keys derived from the sealing keys, newest first (see ``digests``).
        self._hash_keys = [hashlib.sha256(b"hamyar-digest\x1f" + k.encode()).digest() for k in (key, *old_keys) if k]

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Sealer":
        env = os.environ if env is None else env
        key = env.get("HAMYAR_DATA_KEY", "").strip()
        if not key:
            raise SealingKeyMissing("HAMYAR_DATA_KEY is not set; `make run` writes one to .env")
        try:
            return cls(key, tuple(k.strip() for k in env.get("HAMYAR_DATA_KEY_OLD", "").split(",")))
        except ValueError:  # the key itself is never put in the message
            raise SealingKeyMissing(
                "HAMYAR_DATA_KEY or HAMYAR_DATA_KEY_OLD is not a urlsafe-base64 32-byte key (make one with: "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from None

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def digests(self, value: str) -> list[str]:
        """Keyed hashes of ``value``, under the current key first, then the old ones: a sealed
        value differs each time, so a record is found by its digest instead (written under the
        current key, looked up under all while old ones age out)."""
        return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40] for key in self._hash_keys]

    def open(self, sealed: str) -> str:
        """The value; ValueError when it was not sealed by a key this process knows."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("sealed value cannot be opened with the configured keys") from None
