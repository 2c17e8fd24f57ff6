"""`python -m evals`: replay the recorded conversations and print how the agent did.

    python -m evals --model offline|openai|replay [--cases DIR_OR_FILE] [--tags a,b]
                    [--repeat K] [--json OUT] [--gate BASELINE_JSON] [--cassettes DIR]

Exit status: 0 when it ran; 1 when the gate failed (pass rate below the baseline's), a replay
missed a recorded response, or the run crashed; 2 for bad arguments or bad case files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent_service.settings import DEFAULT_STAGES, Settings
from evals.cases import CaseError, Conversation, load_cases, select
from evals.cassettes import CassetteServer, cassette_path
from evals.report import build_report, render_failures, render_table
from evals.runner import RunRecord, SingleModel, run_all

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE / "conversations"
DEFAULT_CASSETTES = HERE / "cassettes"
OPENAI_API = "https://api.openai.com/v1"


class UsageError(Exception):
    """Bad command-line input: reported on stderr, exit status 2."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evals", description="Replay recorded CRM chat conversations and score them."
    )
    parser.add_argument("--model", choices=["offline", "openai", "replay"], default="offline")
    parser.add_argument(
        "--cases",
        type=Path,
        nargs="+",
        help="folders or files (default evals/conversations; for replay, the conversations "
        "that have a cassette)",
    )
    parser.add_argument("--tags", default="", help="only conversations with one of these tags")
    parser.add_argument("--repeat", type=int, default=1, help="runs per conversation (pass^k)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the report here")
    parser.add_argument("--gate", type=Path, help="exit 1 if the pass rate is below this baseline")
    parser.add_argument(
        "--cassettes",
        type=Path,
        help="openai: record responses here; replay: serve them from here (default evals/cassettes)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not list failures")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def read_baseline(path: Path) -> float:
    """The `pass_rate` of a baseline file, validated."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"--gate {path}: cannot read the baseline: {exc}") from None
    rate = data.get("pass_rate") if isinstance(data, dict) else None
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise UsageError(f'--gate {path}: needs {{"pass_rate": <number from 0 to 1>}}')
    return float(rate)


def collect_cases(args: argparse.Namespace) -> list[Conversation]:
    """The conversations named by `--cases`; replay defaults to those with a cassette."""
    if args.cases:
        cases: list[Conversation] = []
        for target in args.cases:
            cases += load_cases(target)
        names = [c.name for c in cases]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise UsageError(f"--cases: conversation(s) {twice} given more than once")
        return cases
    cases = load_cases(DEFAULT_CASES)
    if args.model == "replay":
        directory = args.cassettes or DEFAULT_CASSETTES
        if not directory.is_dir():
            raise UsageError(f"--cassettes {directory}: no such folder")
        cases = [c for c in cases if cassette_path(directory, c.name).exists()]
        if not cases:
            raise UsageError(f"--cassettes {directory}: no cassette matches a conversation")
    return cases


def agent_settings(**overrides: Any) -> Settings:
    """Settings for the replay: the default pipeline (the cases are written for it)."""
    try:
        return Settings(crm_pipeline=DEFAULT_STAGES, **overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"settings: {first.get('msg', exc)}") from None


def build_provider(
    args: argparse.Namespace, stack: ExitStack
) -> tuple[SingleModel, Settings, CassetteServer | None]:
    """The model for `--model`, its settings, and the cassette server when one is used."""
    from agent_service.graph.models import build_chat_model

    if args.model == "offline":
        settings = agent_settings(crm_model="offline")
        return SingleModel(build_chat_model(settings)), settings, None

    if args.model == "replay":
        directory = args.cassettes or DEFAULT_CASSETTES
        if not directory.is_dir():
            raise UsageError(f"--cassettes {directory}: no such folder")
        server = stack.enter_context(CassetteServer(directory, "replay"))
        settings = agent_settings(
            crm_model="openai",
            openai_api_key="replay-without-a-key",
            openai_base_url=server.url,
            openai_max_retries=0,
        )
    else:
        settings = agent_settings(crm_model="openai")
        server = None
        if args.cassettes:
            upstream = settings.openai_base_url or OPENAI_API
            server = stack.enter_context(CassetteServer(args.cassettes, "record", upstream))
            settings = settings.model_copy(update={"openai_base_url": server.url})

    def on_turn(conversation: Any, repetition: int, turn: int) -> None:
        if server is not None:
            server.begin(conversation.name, turn, record=repetition == 0)

    def on_end(conversation: Any, repetition: int) -> None:
        if server is not None and repetition == 0:
            server.save(conversation.name)

    return SingleModel(build_chat_model(settings), on_turn, on_end), settings, server


def _progress(total: int) -> Callable[[RunRecord], None]:
    """One line per run on stderr, for the slow (networked) models."""
    done = 0

    def report(record: RunRecord) -> None:
        nonlocal done
        done += 1
        verdict = "pass" if record.passed else "FAIL"
        print(f"[{done}/{total}] {record.conversation.name}: {verdict}", file=sys.stderr)

    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        baseline = read_baseline(args.gate) if args.gate else None
        every = collect_cases(args)
        tags = [t.strip() for t in args.tags.split(",") if t.strip()]
        cases = select(every, tags)
        if not cases:
            known = sorted({t for c in every for t in c.tags})
            raise UsageError(f"no conversation has the tag(s) {tags}; tags in use: {known}")
        with ExitStack() as stack:
            provider, settings, server = build_provider(args, stack)
            progress = None if args.model == "offline" else _progress(len(cases) * args.repeat)
            records = run_all(cases, provider, settings, repeat=args.repeat, on_run=progress)
            misses = list(server.misses) if server else []
    except (CaseError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    report = build_report(records, model=args.model, repeat=args.repeat)
    if misses:
        report["cassette_misses"] = misses
    print(render_table(report))
    if report["failures"] and not args.quiet:
        print()
        print(render_failures(report))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2, default=str) + "\n", "utf-8")
    status = 0
    if misses:
        print(
            f"\nerror: {len(misses)} request(s) had no usable recorded response:", file=sys.stderr
        )
        for miss in misses[:20]:
            print(f"  - {miss}", file=sys.stderr)
        status = 1
    if baseline is not None:
        rate = report["pass_rate"] or 0.0
        if rate + 1e-9 < baseline:
            print(
                f"\nGATE FAILED: conversation pass rate {rate:.4f} is below the baseline "
                f"{baseline:.4f} ({args.gate})",
                file=sys.stderr,
            )
            status = 1
        elif report["wrong_writes"]:
            print(
                f"\nGATE FAILED: {report['wrong_writes']} conversation(s) with a wrong write "
                "(a lead or value no expected action explains)",
                file=sys.stderr,
            )
            status = 1
        else:
            print(f"\ngate ok: pass rate {rate:.4f} >= baseline {baseline:.4f}, no wrong writes")
    return status


if __name__ == "__main__":
    sys.exit(main())
