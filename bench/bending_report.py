"""The bending benchmark's figures and its report (bench/out/bending.md), from the verdicts
bench/bending.py collects: task success overall, by category and by form, turns to success, the
misunderstood answers, and each failing conversation with the last answer it got."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Callable, Optional

from bench.bending_script import Verdict
from bench.load_report import table


def rate(verdicts: list[Verdict]) -> str:
    won = sum(v.success for v in verdicts)
    return f"{won}/{len(verdicts)} ({won / len(verdicts):.0%})" if verdicts else "–"


def grouped(verdicts: list[Verdict], key: Callable[[Verdict], str]) -> dict[str, list[Verdict]]:
    groups: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        groups.setdefault(key(verdict), []).append(verdict)
    return groups


def figures(verdicts: list[Verdict]) -> dict:
    """What the report says, as numbers: success counts, turns to success, misunderstood answers."""
    turns = [v.turns_to_success for v in verdicts if v.turns_to_success is not None]
    return {
        "conversations": len(verdicts),
        "succeeded": sum(v.success for v in verdicts),
        "by_category": {
            name: rate(group) for name, group in sorted(grouped(verdicts, lambda v: v.conversation.category).items())
        },
        "by_form": {name: rate(group) for name, group in sorted(grouped(verdicts, lambda v: v.conversation.form).items())},
        "turns_mean": statistics.mean(turns) if turns else None,
        "turns_median": statistics.median(turns) if turns else None,
        "misunderstood": sum(v.misunderstood for v in verdicts),
        "misunderstood_conversations": sum(v.misunderstood > 0 for v in verdicts),
    }


def number(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.1f}"


def why(verdict: Verdict) -> str:
    """Why a conversation failed, in a few words."""
    parts = []
    if verdict.missing:
        parts.append("never said: " + ", ".join(verdict.missing))
    if verdict.said_never:
        parts.append("said: " + ", ".join(f"«{text}»" for text in verdict.said_never))
    if verdict.stopped:
        parts.append(verdict.stopped)
    return "; ".join(parts)


def one_line(text: str, limit: int = 300) -> str:
    flat = " / ".join(line.strip() for line in text.splitlines() if line.strip()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def summary(verdicts: list[Verdict]) -> str:
    """The headline figures, for the terminal and the top of the report."""
    found = figures(verdicts)
    return (
        f"task success {rate(verdicts)}; turns to success mean {number(found['turns_mean'])}, "
        f"median {number(found['turns_median'])}; «متوجه نشدم» {found['misunderstood']} times "
        f"in {found['misunderstood_conversations']} conversations"
    )


def markdown(verdicts: list[Verdict], setup: dict) -> str:
    found = figures(verdicts)
    failing = [v for v in verdicts if not v.success]
    parts = [
        "# Task success over bending conversations\n",
        f"{setup['date']}, commit {setup['commit']}{' (uncommitted changes)' if setup['dirty'] else ''}, "
        f"model {setup['model']}, through the signed generic webhook ({setup['source']}). "
        f"`{setup['command']}`; the conversations: bench/bending.yml.\n",
        summary(verdicts) + ".\n",
        "## By category\n",
        table(["category", "succeeded"], [[name, value] for name, value in found["by_category"].items()]),
        "## By form\n",
        table(["form", "succeeded"], [[name, value] for name, value in found["by_form"].items()]),
        f"## Failing conversations ({len(failing)})\n",
        table(
            ["conversation", "category", "form, slot", "why", "last answer"],
            [
                [
                    v.conversation.name,
                    v.conversation.category,
                    f"{v.conversation.form}, {v.conversation.slot}",
                    why(v),
                    one_line(v.last_reply),
                ]
                for v in failing
            ],
        )
        if failing
        else "None.\n",
    ]
    return "\n".join(parts)


def write(verdicts: list[Verdict], setup: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bending.md"
    path.write_text(markdown(verdicts, setup), encoding="utf-8")
    return path
