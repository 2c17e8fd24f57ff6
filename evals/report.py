"""The eval report: metrics per tag and overall, the printed table, the JSON document."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from evals.runner import RunRecord, failure_entries

# gpt-4.1 list prices, USD per million tokens.
PRICE_INPUT_PER_M = 2.0
PRICE_OUTPUT_PER_M = 8.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def metrics(records: list[RunRecord]) -> dict[str, Any]:
    """Metrics of a set of runs; a conversation passes only if all its runs pass (pass^k)."""
    by_conversation: dict[str, list[RunRecord]] = defaultdict(list)
    for record in records:
        by_conversation[record.conversation.name].append(record)
    passed = sum(all(r.passed for r in runs) for runs in by_conversation.values())
    turns = [t for r in records for t in r.turns]
    end_checked = [r for r in records if r.conversation.checks_end_state]
    clarifying = [t for t in turns if t.expects_clarification]
    latencies = [t.latency_ms for t in turns if t.error is None and t.latency_ms]
    tokens_in = sum(t.usage.get("input_tokens", 0) for t in turns)
    tokens_out = sum(t.usage.get("output_tokens", 0) for t in turns)
    count = len(by_conversation)
    return {
        "conversations": count,
        "passed": passed,
        "pass_rate": _rate(passed, count),
        "runs": len(records),
        "runs_passed": sum(r.passed for r in records),
        "turns": len(turns),
        "turns_passed": sum(t.passed for t in turns),
        "action_match": _rate(sum(t.actions_ok for t in turns), len(turns)),
        "end_state": {
            "checked": len(end_checked),
            "matched": sum(not r.end_problems and r.error is None for r in end_checked),
            "rate": _rate(
                sum(not r.end_problems and r.error is None for r in end_checked), len(end_checked)
            ),
        },
        "clarification": {
            "expected": len(clarifying),
            "asked": sum(t.needs == "clarification" for t in clarifying),
            "rate": _rate(sum(t.needs == "clarification" for t in clarifying), len(clarifying)),
        },
        "unconfirmed_deletes": sum(t.unconfirmed_deletes for t in turns),
        # conversations whose end state holds something no expected action explains
        "wrong_writes": len({r.conversation.name for r in records if r.wrong_writes}),
        "errors": sum(r.error is not None for r in records),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
        },
        "tokens": {"input": tokens_in, "output": tokens_out},
        "cost_usd": round(
            tokens_in * PRICE_INPUT_PER_M / 1e6 + tokens_out * PRICE_OUTPUT_PER_M / 1e6, 6
        ),
    }


def build_report(records: list[RunRecord], *, model: str, repeat: int) -> dict[str, Any]:
    """The whole report: overall metrics, `by_tag`, and every failure with expected vs got."""
    tags: dict[str, list[RunRecord]] = defaultdict(list)
    for record in records:
        for tag in record.conversation.tags or ["(untagged)"]:
            tags[tag].append(record)
    return {
        "model": model,
        "repeat": repeat,
        **metrics(records),
        "by_tag": {tag: metrics(tags[tag]) for tag in sorted(tags)},
        "by_model": {model: {"wrong_writes": metrics(records)["wrong_writes"]}},
        "failures": [entry for record in records for entry in failure_entries(record)],
        "failed_conversations": sorted({r.conversation.name for r in records if not r.passed}),
    }


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _row(label: str, m: dict[str, Any]) -> str:
    return (
        f"{label:<18} {m['passed']:>4}/{m['conversations']:<4} {m['turns_passed']:>5}/{m['turns']:<5}"
        f" {_fmt_rate(m['action_match']):>8} {_fmt_rate(m['end_state']['rate']):>8}"
        f" {_fmt_rate(m['clarification']['rate']):>8} {m['unconfirmed_deletes']:>7}"
        f" {m['wrong_writes']:>6}"
        f" {m['latency_ms']['p50']:>8.1f} {m['latency_ms']['p95']:>8.1f}"
    )


def render_table(report: dict[str, Any]) -> str:
    """The printed summary: one row per tag, then the overall row, tokens and cost."""
    header = (
        f"{'tag':<18} {'convs ok':>9} {'turns ok':>11} {'actions':>8} {'end':>8}"
        f" {'clarify':>8} {'unconf.':>7} {'wrong':>6} {'p50 ms':>8} {'p95 ms':>8}"
    )
    lines = [header, "-" * len(header)]
    lines += [_row(tag, m) for tag, m in report["by_tag"].items()]
    lines.append("-" * len(header))
    lines.append(_row("overall", report))
    tokens = report["tokens"]
    lines.append(
        f"model {report['model']}, repeat {report['repeat']} (pass^{report['repeat']}): "
        f"{report['passed']}/{report['conversations']} conversations passed "
        f"({_fmt_rate(report['pass_rate'])}); unconfirmed deletes {report['unconfirmed_deletes']}; "
        f"wrong writes {report['wrong_writes']}; "
        f"tokens in {tokens['input']} out {tokens['output']}, cost ${report['cost_usd']:.4f}"
    )
    return "\n".join(lines)


def render_failures(report: dict[str, Any], limit: int = 50) -> str:
    """Failures, one block each: where, the problems, expected and got."""
    lines = []
    for entry in report["failures"][:limit]:
        where = f"turn {entry['turn']}" if entry.get("turn") is not None else "setup"
        rep = f" (run {entry['repetition']})" if report["repeat"] > 1 else ""
        lines.append(f"FAIL {entry['conversation']}{rep} {where}: {entry.get('user', '')!r}")
        lines.append(f"     file: {entry.get('file')}")
        for problem in entry["problems"]:
            lines.append(f"     - {problem}")
        if "expected" in entry:
            lines.append(f"     expected: {entry['expected']}")
        if "got" in entry:
            lines.append(f"     got:      {entry['got']}")
    more = len(report["failures"]) - limit
    if more > 0:
        lines.append(f"... and {more} more failure(s) in the JSON report")
    return "\n".join(lines)
