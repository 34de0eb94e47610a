"""``rasa run`` with the HTTP API token taken from ``RASA_API_TOKEN`` rather than the command line.

Rasa reads its API token only from ``--auth-token``, and any local user can read a process's
arguments (``ps``). Run with the Rasa environment's Python and ``rasa run``'s own arguments:

    .venvs/rasa/bin/python -m bot.serve --model models/hamyar.tar.gz --endpoints endpoints.yml ... --enable-api

The token is handed to Rasa's own command inside this process, so Rasa starts exactly as
``rasa run ... --auth-token`` would, and ``/proc/<pid>/cmdline`` shows only the line above.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from bot.tensorflow_stand_in import leave_tensorflow_out_unless_asked

TOKEN_ENV = "RASA_API_TOKEN"
MIN_TOKEN_LENGTH = 16


def rasa_arguments(argv: list[str], token: str) -> list[str]:
    """``rasa run``'s argument list, with the token."""
    if any(argument == "--auth-token" or argument.startswith("--auth-token=") for argument in argv):
        raise SystemExit("give the token in RASA_API_TOKEN, not on the command line")
    # One argument: a token that starts with "-" would otherwise be read as an option.
    return ["rasa", "run", *argv, f"--auth-token={token}"]


def session_start_always_has_a_channel() -> None:
    """Rasa 3.6's HTTP API (``trigger_intent``, ``execute``) starts a new conversation's session
    with no output channel, so the greeting ``action_session_start`` says fails with
    "'NoneType' object has no attribute 'send_response'" (a 500). Its messages are collected
    instead, as they are for a channel that collects: the API caller gets the turn's answer."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.fetch_tracker_and_update_session
    if getattr(original, "hamyar", False):
        return

    async def fetch_tracker_and_update_session(self, sender_id, output_channel=None, metadata=None):  # type: ignore[no-untyped-def]
        return await original(self, sender_id, output_channel or CollectingOutputChannel(), metadata)

    fetch_tracker_and_update_session.hamyar = True  # type: ignore[attr-defined]
    MessageProcessor.fetch_tracker_and_update_session = fetch_tracker_and_update_session  # type: ignore[method-assign]


def response_check(schema: dict) -> Callable[[Any], bool]:
    """Whether an action server response fits ``schema`` (Rasa's), compiled by fastjsonschema.

    Rasa's schema lets an event be any of 23 kinds (``oneOf``), so a validator tries every kind
    on every event: 1.8 ms for a four-event response with jsonschema, and no faster compiled. The
    kinds are told apart by the ``event`` name each fixes (``const``), and ``event`` is required,
    so an event fits exactly one kind if and only if it fits the kind its name names: the
    response is checked without the ``oneOf``, then each event against its own kind (11 µs).
    A schema whose kinds are not told apart so is checked whole."""
    import copy

    import fastjsonschema

    def fits(compiled: Callable[[Any], Any], value: Any) -> bool:
        try:
            compiled(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    item = schema.get("properties", {}).get("events", {}).get("items", {})
    kinds = item.get("oneOf", [])
    names = [kind.get("properties", {}).get("event", {}).get("const") for kind in kinds]
    if not kinds or "event" not in item.get("required", []) or None in names or len(set(names)) < len(names):
        whole = fastjsonschema.compile(schema)
        return lambda response: fits(whole, response)
    outline = copy.deepcopy(schema)
    del outline["properties"]["events"]["items"]["oneOf"]
    fits_outline = fastjsonschema.compile(outline)
    by_name = {name: fastjsonschema.compile(kind) for name, kind in zip(names, kinds)}

    def check(response: Any) -> bool:
        if not fits(fits_outline, response):
            return False
        # The outline made sure: a dict whose events, if any, are dicts with a string name.
        for event in response.get("events") or []:
            fits_kind = by_name.get(event["event"])
            if fits_kind is None or not fits(fits_kind, event):
                return False
        return True

    return check


def action_responses_checked_by_one_validator() -> None:
    """Rasa 3.6 checks every action server response with ``jsonschema.validate``, which checks the
    schema itself against its meta-schema, builds a new validator and tries each of 23 kinds on
    every event (``response_check``): 14% of Rasa's CPU under load at first (issue 26), still 6%
    with one validator kept. The schema is checked once and compiled; a response that does not
    fit is refused by Rasa's own check, with its error (the best match)."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "hamyar", False):
        return
    schema = RemoteAction.action_response_format_spec()
    validators.validator_for(schema).check_schema(schema)
    fits = response_check(schema)

    def _validate_action_result(self, result):  # type: ignore[no-untyped-def]
        if fits(result):
            return True
        return original(self, result)  # refused (rare): with Rasa's own error and message

    _validate_action_result.hamyar = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def endpoint_session(endpoint):  # type: ignore[no-untyped-def]
    """The session ``EndpointConfig.session`` makes (its headers, basic auth and time-out), its
    JSON bodies written by ujson: json.dumps of the tracker Rasa sends with every call to the
    action server was 7.6% of Rasa's CPU under typed load (py-spy, issue 26). ujson writes the
    same JSON in about half the time, and the Persian text as UTF-8 rather than escaped, a third
    fewer bytes for the action server to read."""
    import functools

    import aiohttp
    import ujson
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"]) if endpoint.basic_auth else None
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=functools.partial(ujson.dumps, ensure_ascii=False, escape_forward_slashes=False),
    )


def action_calls_share_a_session() -> None:
    """Rasa 3.6 opens a new aiohttp session, so a new connection, for every call to the action
    server and closes it after the answer: a TCP set-up and tear-down per action (issue 26's
    profile). One session per endpoint and event loop is kept instead (``endpoint_session``), and
    its connections reused."""
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    original = EndpointConfig.session
    if getattr(original, "hamyar", False):
        return
    kept: dict = {}  # id(endpoint) -> (endpoint, loop, session); the endpoint held so its id stays its own

    class _Kept:
        """What ``async with endpoint.session()`` gets: the kept session, left open after."""

        def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
            self._session = session

        async def __aenter__(self):  # type: ignore[no-untyped-def]
            return self._session

        async def __aexit__(self, *exc_info) -> None:  # type: ignore[no-untyped-def]
            return None

    def session(self):  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        entry = kept.get(id(self))
        if entry is None or entry[1] is not loop or entry[2].closed:
            entry = kept[id(self)] = (self, loop, endpoint_session(self))
        return _Kept(entry[2])

    session.hamyar = True  # type: ignore[attr-defined]
    EndpointConfig.session = session  # type: ignore[method-assign]


def tracker_state_for_actions(tracker):  # type: ignore[no-untyped-def]
    """``tracker.current_state(EventVerbosity.ALL)`` without what no action reads
    (``bot.action_calls``), made directly: the events no action reads are never turned into dicts, and the
    active loop is copied one level, where Rasa's ``dataclasses.asdict`` deep-copies the message
    that started it (1.7% of a Rasa server's CPU under typed load). The same JSON either way
    (tests/bot/test_action_calls.py compares them)."""
    import dataclasses

    from bot.action_calls import UNREAD_EVENTS, lighter_event

    loop = tracker.active_loop
    return {
        "sender_id": tracker.sender_id,
        "slots": tracker.current_slot_values(),
        "latest_message": tracker._latest_message_data(),
        "latest_event_time": tracker.events[-1].timestamp if tracker.events else None,
        "followup_action": tracker.followup_action,
        "paused": tracker.is_paused(),
        "events": [lighter_event(event.as_dict()) for event in tracker.events if event.type_name not in UNREAD_EVENTS],
        "latest_input_channel": tracker.get_latest_input_channel(),
        "active_loop": {field.name: getattr(loop, field.name) for field in dataclasses.fields(loop)} if loop else {},
        "latest_action": tracker.latest_action,
        "latest_action_name": tracker.latest_action_name,
    }


def action_calls_carry_what_actions_read() -> None:
    """Each call to the action server carries the tracker without what no action reads
    (``tracker_state_for_actions``): about 40% fewer bytes for Rasa to write and the action
    server to parse. The rest of the body is Rasa's own."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._action_call_format, "hamyar", False):
        return

    def _action_call_format(self, tracker, domain):  # type: ignore[no-untyped-def]
        body = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": tracker_state_for_actions(tracker),
            "version": rasa.__version__,
        }
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            body["domain"] = domain.as_dict()
        return body

    _action_call_format.hamyar = True  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]


def graphs_run_without_dask() -> None:
    """Rasa runs each parse and prediction through dask's scheduler, with a schema copy and a new
    task graph each time; ``SequentialGraphRunner`` runs the same nodes in a cached order."""
    import rasa.core.processor

    from bot.graph_runner import SequentialGraphRunner

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]


def loaded_model_left_out_of_garbage_collection() -> None:
    """Rasa with its model holds hundreds of thousands of objects (its libraries, the pipeline),
    and CPython's full collection walks all of them: 210 ms a time on this machine with
    TensorFlow loaded, a pause for every conversation in flight on that server. They live as
    long as the process, so once the agent is loaded they are moved out of the collector's sight
    (``gc.freeze``); a full collection then walks only what turns make."""
    import gc

    import rasa.core.agent

    original = rasa.core.agent.load_agent
    if getattr(original, "hamyar", False):
        return

    async def load_agent(*args, **kwargs):  # type: ignore[no-untyped-def]
        loaded = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return loaded

    load_agent.hamyar = True  # type: ignore[attr-defined]
    rasa.core.agent.load_agent = load_agent  # type: ignore[assignment]


def main() -> None:
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < MIN_TOKEN_LENGTH:
        raise SystemExit(f"{TOKEN_ENV} must be set to a secret of {MIN_TOKEN_LENGTH}+ characters (make run writes one to .env)")
    # Only this process's copy of its arguments changes; the kernel's (what ps reads) does not.
    sys.argv = rasa_arguments(sys.argv[1:], token)
    leave_tensorflow_out_unless_asked()  # before anything imports Rasa
    session_start_always_has_a_channel()
    action_responses_checked_by_one_validator()
    action_calls_share_a_session()
    action_calls_carry_what_actions_read()
    graphs_run_without_dask()
    loaded_model_left_out_of_garbage_collection()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
