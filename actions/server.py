"""The action server: rasa-sdk's own app, answering only Rasa.

``python -m actions.server`` takes rasa-sdk's arguments (``--port``, ``--actions`` defaults to
this package) and serves the same app as ``python -m rasa_sdk`` (``/webhook``, ``/actions``,
``/health``), with three differences:

- every path but ``/health`` needs the shared secret ``ACTION_SERVER_TOKEN`` in the
  ``X-Hamyar-Action-Token`` header, which Rasa sends (``endpoints.yml``); without it anyone on the
  machine could post a made-up tracker (``identity_verified: true``) and read any case;
- ``GET /metrics`` gives Prometheus figures (behind the same token);
- it listens on ``ACTIONS_HOST`` (default 127.0.0.1), not on every interface;
- an action that raises is answered without the request (the tracker, personal data) in the body.
- after each action, what the conversation leaves unfinished is noted (``actions/resume.py``).
"""

from __future__ import annotations

import hmac
import logging
import os
from functools import partial
from typing import Optional, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from actions.resume import ProgressExecutor

logger = logging.getLogger("actions.server")
TOKEN_HEADER = "X-Hamyar-Action-Token"
TOKEN_ENV = "ACTION_SERVER_TOKEN"
MIN_TOKEN_LENGTH = 16
OPEN_PATHS = frozenset({"/health"})


def server_token() -> str:
    """The shared secret, from the environment; the server does not start without one."""
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < MIN_TOKEN_LENGTH:
        raise SystemExit(f"{TOKEN_ENV} must be set to a secret of {MIN_TOKEN_LENGTH}+ characters (make run writes one to .env)")
    return token


def guard(app: Sanic, token: str) -> Sanic:
    """Refuse every request but a health check that does not carry the token."""
    expected = token.encode()

    @app.on_request
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if hmac.compare_digest(given, expected):
            return None
        logger.warning("action server refused a request without the token path=%s", request.path)
        return response.json({"error": "unauthorized"}, status=401)

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        logger.error("action failed path=%s error=%s", request.path, type(exception).__name__, exc_info=exception)
        return response.json({"error": type(exception).__name__}, status=500)

    # rasa-sdk's own handler (for every route) answers with the request body: the whole tracker.
    # One registered for the routes themselves comes first.
    app.error_handler.add(Exception, failed, route_names=[route.name for route in app.router.routes])
    return app


def quiet_client_logs() -> None:
    """HTTP client libraries log whole request URLs at INFO, and a URL may carry a secret."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def metrics(_: Request) -> HTTPResponse:
    """Prometheus figures of this process (e.g. identities targeted by many requesters)."""
    return response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def create_guarded_app(action_executor: ActionExecutor, **kwargs) -> Sanic:
    """rasa-sdk's app for serving (plugins, tracing, keep-alive), guarded. Module-level: Sanic's
    worker processes rebuild the app from it."""
    quiet_client_logs()
    app = create_app_for_serve(action_executor, **kwargs)
    app.add_route(metrics, "/metrics", methods=["GET"])  # behind the same token as the rest
    return guard(app, server_token())


def run(argv: Optional[Sequence[str]] = None) -> None:
    parser = create_argument_parser()
    parser.set_defaults(port=int(os.environ.get("ACTIONS_PORT", "5055")))
    args = parser.parse_args(argv)
    if args.grpc:
        parser.error("--grpc is not served by Hamyar's action server")
    server_token()  # fail before anything starts

    # The same set-up as `python -m rasa_sdk`.
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    quiet_client_logs()

    executor = ProgressExecutor()  # notes what is left unfinished (actions/resume.py)
    executor.register_package(args.actions_module or args.actions or "actions")
    factory = partial(
        create_guarded_app, executor, cors_origins=args.cors, auto_reload=args.auto_reload, endpoints=args.endpoints
    )
    loader = AppLoader(factory=factory)
    app = loader.load()
    host = os.environ.get("ACTIONS_HOST", "127.0.0.1")
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("action server on %s://%s:%d", "https" if ssl else "http", host, args.port)
    workers = utils.number_of_sanic_workers()
    if workers == 1:
        # One process, no worker manager: rasa-sdk's way (a manager and one worker) ignores SIGTERM
        # for long seconds and, killed then, leaves its worker holding the port.
        app.prepare(host=host, port=args.port, ssl=ssl, single_process=True)
        Sanic.serve_single(app)
    else:
        app.prepare(host=host, port=args.port, ssl=ssl, workers=workers)
        Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    run()
