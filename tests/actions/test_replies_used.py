"""Every reply an action names exists in bot/replies.yml with the values it is given.

Reply names are read from the syntax tree of actions/ and content/: any call of a function
there whose parameter is called ``key`` (``say(dispatcher, "key")``, ``buttons("key")``,
``offer_choices(articles, dispatcher, "key")``…), or of a ``Replies``' ``render``/``buttons``,
names a reply there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, get_args

import yaml

from agencies.models import ServiceStatus
from content.replies import DEFAULT_PATH, Replies

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
CONTENT = ACTIONS.parent / "content"
# A Replies' own methods (content/replies.py), called on an instance: ``replies.render("key")``.
METHODS = {"render", "buttons"}
REPLIES = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
KEY = "key"


def modules() -> dict[Path, ast.Module]:
    # content/ too: a guide step is rendered there (content/steps.py) for actions and the desk.
    sources = sorted([*ACTIONS.rglob("*.py"), *CONTENT.rglob("*.py")])
    return {source: ast.parse(source.read_text(encoding="utf-8")) for source in sources}


def key_positions(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Functions of actions/ taking a reply ``key``, with its position among the arguments."""
    positions = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in node.args.args if a.arg != "self"]
                if KEY in names:
                    positions[node.name] = names.index(KEY)
    return positions


def class_constants(tree: ast.Module, attribute: str) -> list[str]:
    """Every string a class body of the module assigns to ``attribute`` (``slot = "national_id"``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(statement.value, ast.Constant)
                    and any(isinstance(t, ast.Name) and t.id == attribute for t in statement.targets)
                ):
                    found.append(statement.value.value)
    return found


def names_of(expression: ast.expr, tree: ast.Module) -> Iterator[str]:
    """The reply names an argument can hold: a regex each (literal names are escaped)."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        yield re.escape(expression.value)
    elif isinstance(expression, ast.IfExp):
        yield from names_of(expression.body, tree)
        yield from names_of(expression.orelse, tree)
    elif isinstance(expression, ast.JoinedStr):
        # f"ask_{self.slot}": every value the class hierarchy gives ``slot``; other holes are
        # open (f"service_{status.status}" is checked against the contract below).
        patterns = [""]
        for part in expression.values:
            if isinstance(part, ast.Constant):
                patterns = [p + re.escape(part.value) for p in patterns]
                continue
            value = part.value
            is_own = isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self"
            known = class_constants(tree, value.attr) if is_own else []
            patterns = [p + (re.escape(k) if known else "[a-z_]+") for p in patterns for k in (known or [""])]
        yield from patterns
    # A plain variable forwards a key given by its caller, where it is checked.


def named_replies() -> set[str]:
    trees = modules()
    positions = key_positions(trees)
    names: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id in positions:
                position = positions[node.func.id]
            elif isinstance(node.func, ast.Attribute) and node.func.attr in METHODS:
                position = positions[node.func.attr]
            else:
                continue
            given = [k.value for k in node.keywords if k.arg == KEY]
            given += node.args[position : position + 1]
            for argument in given:
                names |= set(names_of(argument, tree))
    return names


def test_every_named_reply_exists():
    names = named_replies()
    assert len(names) > 30
    missing = [name for name in names if not any(re.fullmatch(name, reply) for reply in REPLIES)]
    assert not missing, sorted(missing)


def test_names_are_read_from_every_kind_of_call():
    names = named_replies()
    # say(dispatcher, …), buttons(…), offer_choices(…, key), a conditional and an f-string.
    assert {"greet", "guide_buttons", "guide_choose", "unsubscribe_nothing", "ask_national_id", "ask_complaint_text"} <= names
    assert "service_[a-z_]+" in names


def test_every_service_status_has_its_reply():
    statuses = get_args(ServiceStatus.model_fields["status"].annotation)
    assert statuses and all(f"service_{status}" in REPLIES for status in statuses)


def test_placeholders_are_filled():
    replies = Replies()
    rendered = replies.render("case_status", title="مستمری", status="در حال بررسی", last_update="۳ آذر ۱۴۰۵")
    assert "{" not in rendered["text"]
    assert [b["payload"] for b in replies.render("guide_step", number="۱", count="۳", step="x")["buttons"]] == [
        "/help",
        "/request_human",
    ]


def test_a_replys_own_buttons_are_filled_too():
    rendered = Replies().render("service_menu", service_name="گذرنامه", entities='{"service": "passport"}')
    assert rendered["buttons"][0] == {"title": "وضعیت سامانه", "payload": '/service_status{"service": "passport"}'}
    assert [b["payload"] for b in rendered["buttons"][1:]] == ["/case_status", "/help", '/request_human{"service": "passport"}']
