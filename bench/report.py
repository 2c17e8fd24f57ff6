"""bench/results.json and bench/results.md from the sections the benchmarks return.

A section is a dict: `title`, `columns` + `rows` (the table), `targets` (each
`{"target", "measured", "met"}`, met being true, false or null when it could not be measured;
an optional `result` word, e.g. "reported" for a figure with no target, replaces the mark),
`notes`, and free-form `data` / `profile` that only go to the JSON file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _loads(values: list[float] | None) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "–"


def _mark(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "not measured"}[met]


def _row_key(row: str) -> tuple[int, str]:
    """Summary order: numbered rows first (1a, 1b, 2, 2b, …), the rest after."""
    digits = "".join(c for c in row if c.isdigit())
    return (int(digits) if digits else 99, row)


def table(columns: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The human-readable report: a summary of the targets, then one table per benchmark."""
    meta = results["meta"]
    out = [
        "# Benchmarks",
        "",
        f"Run {meta['started_at']} on {meta['cpus']} CPU(s), Python {meta['python']}"
        f"{' (quick sizes)' if meta.get('quick') else ''}; total {meta['total_seconds']:.0f} s; "
        f"load average at start {_loads(meta.get('load_average_at_start'))} "
        "(anything else running on the machine slows every figure).",
        "",
        "## Targets",
        "",
    ]
    summary = []
    for key, section in results["sections"].items():
        for target in section.get("targets", []):
            summary.append(
                [
                    target.get("row", ""),
                    key,
                    target["target"],
                    target["measured"],
                    target.get("reference", "–"),
                    target.get("result") or _mark(target["met"]),
                ]
            )
    summary.sort(key=lambda r: _row_key(str(r[0])))
    out.append(
        table(
            [
                "#",
                "benchmark",
                "target",
                "measured (range over rounds)",
                "reference (same run)",
                "result",
            ],
            summary,
        )
    )
    for key, section in results["sections"].items():
        out += ["", f"## {section.get('title', key)}", ""]
        if section.get("error"):
            out += [f"Not measured: {section['error']}", ""]
        if section.get("rows"):
            out += [table(section["columns"], section["rows"]), ""]
        for extra in section.get("tables", []):
            out += [f"{extra['title']}:", "", table(extra["columns"], extra["rows"]), ""]
        for note in section.get("notes", []):
            out.append(f"- {note}")
        if section.get("seconds") is not None:
            out.append(
                f"- Took {section['seconds']:.0f} s; load average after: "
                f"{_loads(section.get('load_average_after'))}."
            )
        profile = section.get("profile")
        if profile:
            out += ["", f"Profile of our turn ({profile['turns']} turns, cProfile):", ""]
            out.append(
                table(
                    ["function (by cumulative time)", "cum ms/turn", "self ms/turn", "calls/turn"],
                    [
                        [
                            r["function"],
                            r["cum_ms_per_turn"],
                            r["self_ms_per_turn"],
                            r["calls_per_turn"],
                        ]
                        for r in profile["by_cumulative"]
                    ],
                )
            )
            out += [
                "",
                table(
                    ["function (by own time)", "self ms/turn", "cum ms/turn", "calls/turn"],
                    [
                        [
                            r["function"],
                            r["self_ms_per_turn"],
                            r["cum_ms_per_turn"],
                            r["calls_per_turn"],
                        ]
                        for r in profile["by_self"]
                    ],
                ),
            ]
    return "\n".join(out) + "\n"


def write(results: dict[str, Any], folder: Path = HERE) -> tuple[Path, Path]:
    """Write results.json and results.md into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "results.json", folder / "results.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
