"""The load benchmark's outputs: markdown tables (load.md), a chart (load.png), the figures as
JSON (load.json) and a short summary for the terminal. Reads the dictionaries bench/load.py
collects; measures nothing itself."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as ticker  # noqa: E402
import numpy  # noqa: E402

PROCESSES = ("gateway", "rasa", "actions", "sandbox", "redis", "client")
MB = 2**20


def ms(seconds: Optional[float]) -> str:
    if seconds is None or math.isnan(seconds):
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a: Optional[float], b: Optional[float]) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def load_rows(runs: list[dict]) -> list[list[str]]:
    return [
        [
            run["store"],
            run["mix"],
            str(run["clients"]),
            str(run["messages"]),
            f"{run['msg_per_s']:.1f}",
            ms(run["p50"]),
            ms(run["p95"]),
            ms(run["p99"]),
            f"{run['button_share']:.0%}",
            f"{run['errors']}" + (f" ({', '.join(run['error_kinds'])})" if run["error_kinds"] else ""),
            str(run["timeouts"]),
            f"{run['peak_rss'] / MB:.0f}",
        ]
        for run in runs
    ]


def cpu_rows(runs: list[dict]) -> list[list[str]]:
    rows = []
    for run in runs:
        per = run["cpu_per_message"]
        served = sum(per[name] for name in PROCESSES if name != "client")
        rows.append(
            [run["store"], run["mix"], str(run["clients"])]
            + [f"{per[name] * 1000:.1f}" for name in PROCESSES]
            + [f"{served * 1000:.1f}"]
        )
    return rows


def growth_section(growths: list[dict]) -> str:
    by_store = {g["store"]: g for g in growths}
    labels = [w["label"] for w in growths[0]["windows"]]
    rows = []
    for label_index, label in enumerate(labels):
        row = [f"turns {label}"]
        medians = [by_store[g["store"]]["windows"][label_index]["median"] for g in growths]
        row += [ms(m) if m is not None else "not reached" for m in medians]
        if "own" in by_store and "stock" in by_store:
            row.append(
                ratio(by_store["stock"]["windows"][label_index]["median"], by_store["own"]["windows"][label_index]["median"])
            )
        rows.append(row)
    header = ["window"] + [f"{g['store']} ({g['store_type']})" for g in growths]
    if "own" in by_store and "stock" in by_store:
        header.append("stock ÷ own")
    text = table(header, rows)
    cpu_rows = [
        [g["store"], f"turns {w['label']}", *(f"{w['cpu_ms'].get(k, 0.0):.1f}" for k in PROCESSES)]
        for g in growths
        for w in g["windows"]
        if w.get("cpu_ms")
    ]
    if cpu_rows:
        text += "\nCPU milliseconds a turn in each window (not moved by other load, unlike latency):\n\n"
        text += table(["store", "window", *PROCESSES], cpu_rows)
    text += "\n" + table(
        ["store", "turns reached", "seconds", "errors", "timeouts", "last window ÷ turns 11–20 (goal ≤ 1.2)"],
        [
            [
                g["store"],
                str(g["turns_reached"]) + ("" if g["complete"] else " (time cap)"),
                f"{g['seconds']:.0f}",
                str(g["errors"]),
                str(g["timeouts"]),
                ratio(g["windows"][-1]["median"], g["windows"][0]["median"]),
            ]
            for g in growths
        ],
    )
    return text


def goal_rows(report: dict) -> list[list[str]]:
    """The issue's goals beside what this run measured (a goal this run did not measure: –)."""
    own = [r for r in report["runs"] if r["store"] == "own"]

    def best(mix: str) -> Optional[float]:
        rates = [r["msg_per_s"] for r in own if r["mix"] == mix and r["errors"] == 0 and r["timeouts"] == 0]
        return max(rates) if rates else None

    def at(clients: int) -> list[dict]:
        return [r for r in own if r["clients"] == clients]

    growth = next((g for g in report["growths"] if g["store"] == "own"), None)
    growth_ratio = None
    if growth and growth["windows"][-1]["median"] and growth["windows"][0]["median"]:
        growth_ratio = growth["windows"][-1]["median"] / growth["windows"][0]["median"]
    rows = [
        [
            "the last turns ÷ turns 11–20 ≤ 1.2 (goal: turns 1,000–1,010)",
            f"{growth_ratio:.2f}" if growth_ratio else "–",
            f"turns {growth['windows'][-1]['label']}" if growth else "not run",
        ],
        ["mixed ≥ 100 msg/s (no errors)", f"{best('mixed'):.1f}" if best("mixed") else "–", ""],
        ["typed ≥ 60 msg/s (no errors)", f"{best('typed'):.1f}" if best("typed") else "–", ""],
    ]
    for clients, limit, key in ((8, 0.150, "p95"), (64, 1.0, "p99")):
        for run in at(clients):
            rows.append(
                [
                    f"{clients} conversations, {run['mix']}: {key} ≤ {ms(limit)}, no errors or time-outs",
                    f"{ms(run[key])}, {run['errors']} errors, {run['timeouts']} time-outs",
                    "",
                ]
            )
    rows.append(
        [
            "all processes ≤ 1.5 GB RSS under load",
            f"{report['peak_rss'] / MB:.0f} MB",
            "sum of every tree's RSS, which counts a page shared by several processes (the Rasa servers' "
            f"libraries) once in each; with shared pages counted once (PSS, after a run): {report.get('peak_pss', 0) / MB:.0f} MB",
        ]
    )
    rows.append(["ready ≤ 15 s after start", f"{report['ready_seconds']:.1f} s", "all four health checks green"])
    return rows


def markdown(report: dict) -> str:
    setup = report["setup"]
    parts = [
        "# Load benchmark (`make bench-load`)\n",
        f"{setup['date']}, commit `{setup['commit']}`{' with uncommitted changes' if setup['dirty'] else ''}, "
        f"{setup['cores']} cores, model `{setup['model']}`. Through the signed generic webhook "
        f"(`/webhooks/generic/{setup['source']}`): gateway, Rasa, actions, sandbox agency, Redis (appendonly). "
        f"Closed loop: each conversation waits for its reply; conversations of {setup['turns']} turns. "
        f"Each run: {setup['budget']}. Typed messages: {setup['typed_count']} held-out examples of "
        f"{', '.join(setup['intents'])}. The load client runs on the same 2 cores (its CPU is the «client» column).\n",
        f"Command: `{setup['command']}`\n",
        f"Ready (redis-server started → all health checks green): **{report['ready_seconds']:.1f} s**; "
        f"Rasa restarted with the stock store: {report.get('restart_seconds', float('nan')):.1f} s. "
        f"Peak RSS of all processes together: **{report['peak_rss'] / MB:.0f} MB**.\n",
        "## Goals\n",
        table(["goal", "measured", "note"], goal_rows(report)),
        "## Load\n",
        "own: the tracker store endpoints.yml names; stock: Rasa's `RedisTrackerStore` (`type: redis`). "
        "Latencies of answered turns; errors: HTTP errors, no reply, or the gateway's «problem» reply.\n",
        table(
            [
                "store",
                "mix",
                "conversations",
                "messages",
                "msg/s",
                "p50",
                "p95",
                "p99",
                "buttons",
                "errors",
                "time-outs",
                "peak RSS MB",
            ],
            load_rows(report["runs"]),
        ),
        "## CPU milliseconds per message\n",
        "psutil `cpu_times` (user + system) of each process and its children, before and after each run, "
        "divided by the run's messages. «served» is all but the client.\n",
        table(["store", "mix", "conversations", *PROCESSES, "served"], cpu_rows(report["runs"])),
    ]
    if report["growths"]:
        parts += [
            "## One conversation growing\n",
            "Median turn latency, typed messages, one conversation: greetings, thanks, help and how-to (no form), the same messages in the same order in every window, the other turns at random.\n",
            growth_section(report["growths"]),
        ]
    comparison = report.get("comparison")
    if comparison:
        own, stock = comparison["own"], comparison["stock"]
        parts += [
            f"## Stock ÷ own at {own['clients']} conversations, {own['mix']}\n",
            table(
                ["figure", "own", "stock", "stock ÷ own"],
                [
                    [
                        "msg/s",
                        f"{own['msg_per_s']:.1f}",
                        f"{stock['msg_per_s']:.1f}",
                        ratio(stock["msg_per_s"], own["msg_per_s"]),
                    ],
                    ["p50", ms(own["p50"]), ms(stock["p50"]), ratio(stock["p50"], own["p50"])],
                    ["p95", ms(own["p95"]), ms(stock["p95"]), ratio(stock["p95"], own["p95"])],
                    [
                        "Rasa CPU ms / message",
                        f"{own['cpu_per_message']['rasa'] * 1000:.1f}",
                        f"{stock['cpu_per_message']['rasa'] * 1000:.1f}",
                        ratio(stock["cpu_per_message"]["rasa"], own["cpu_per_message"]["rasa"]),
                    ],
                ],
            ),
        ]
    return "\n".join(parts)


def rolling_median(values: list[float], width: int = 10) -> tuple[list[int], list[float]]:
    turns, medians = [], []
    for end in range(width, len(values) + 1, max(1, width // 2)):
        turns.append(end)
        medians.append(float(numpy.median(values[end - width : end])))
    return turns, medians


def chart(report: dict, path: Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    styles = {"p50": "-", "p95": "--", "p99": ":"}
    for mix, colour in (("mixed", "tab:blue"), ("typed", "tab:orange")):
        runs = sorted((r for r in report["runs"] if r["store"] == "own" and r["mix"] == mix), key=lambda r: r["clients"])
        for key, style in styles.items():
            if runs:
                left.plot(
                    [r["clients"] for r in runs],
                    [r[key] * 1000 for r in runs],
                    style,
                    color=colour,
                    marker="o",
                    label=f"{mix} {key}",
                )
    for run in (r for r in report["runs"] if r["store"] == "stock"):
        left.scatter(
            [run["clients"]] * 3, [run[k] * 1000 for k in styles], color="tab:red", marker="x", label=f"stock store, {run['mix']}"
        )
    left.set(
        xscale="log", yscale="log", xlabel="concurrent conversations", ylabel="turn latency (ms)", title="Latency vs concurrency"
    )
    left.set_xticks(
        sorted({r["clients"] for r in report["runs"]}), labels=[str(c) for c in sorted({r["clients"] for r in report["runs"]})]
    )
    left.xaxis.set_minor_locator(ticker.NullLocator())
    left.legend(fontsize=7)
    for growth, colour in zip(report["growths"], ("tab:green", "tab:red")):
        turns, medians = rolling_median(growth["latencies"])
        right.plot(turns, [m * 1000 for m in medians], color=colour, label=f"{growth['store']} ({growth['store_type']})")
    right.set(yscale="log", xlabel="turn of one conversation", ylabel="median of 10 turns (ms)", title="One conversation growing")
    for axis in (left.yaxis, right.yaxis):  # plain milliseconds, not powers of ten
        axis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_minor_formatter(ticker.NullFormatter())
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.md").write_text(markdown(report), encoding="utf-8")
    (out / "load.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    chart(report, out / "load.png")


def run_line(run: dict) -> str:
    return (
        f"{run['store']:5} {run['mix']:5} {run['clients']:3} conv: {run['msg_per_s']:6.1f} msg/s  "
        f"p50 {ms(run['p50']):>8}  p95 {ms(run['p95']):>8}  p99 {ms(run['p99']):>8}  "
        f"errors {run['errors']}  time-outs {run['timeouts']}  Rasa CPU {run['cpu_per_message']['rasa'] * 1000:.0f} ms/msg"
    )


def growth_line(growth: dict) -> str:
    windows = ", ".join(
        f"{w['label']}: {ms(w['median']) if w['median'] is not None else 'not reached'}" for w in growth["windows"]
    )
    return f"growth {growth['store']:5} ({growth['turns_reached']} turns in {growth['seconds']:.0f} s): {windows}"


def summary(report: dict) -> str:
    lines = [
        f"ready {report['ready_seconds']:.1f} s; peak RSS {report['peak_rss'] / MB:.0f} MB; "
        f"PSS after a run {report.get('peak_pss', 0) / MB:.0f} MB"
    ]
    lines += [run_line(run) for run in report["runs"]]
    lines += [growth_line(growth) for growth in report["growths"]]
    return "\n".join(lines)
