"""The security tests attack the running assistant: the integration stack, one per session
(``once_per_session`` keeps pytest from starting a second one for this folder)."""

from tests.integration.conftest import callbacks, chat, stack  # noqa: F401 - fixtures shared with tests/integration
