"""`python -m evals`: gate exit codes, --tags, --repeat, the JSON report, replay and record."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evals.__main__ import main
from tests.evals.eval_cases import CASSETTES, CONVERSATIONS, MOVE_JOHN, REPO, write_case
from tests.utils.fake_openai import fake_openai, status, tool

SHIPPED = sorted(p.stem for p in CASSETTES.glob("*.json"))


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def report(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_json_report_shape_and_failures(cases_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out" / "report.json"
    assert run("--model", "offline", "--cases", cases_dir, "--json", out) == 0
    data = report(out)
    for key in ("conversations", "passed", "turns", "turns_passed", "by_tag", "failures"):
        assert key in data
    assert (data["conversations"], data["passed"], data["turns"], data["turns_passed"]) == (
        2,
        1,
        3,
        2,
    )
    assert data["pass_rate"] == 0.5
    assert data["unconfirmed_deletes"] == 0
    assert data["end_state"] == {"checked": 2, "matched": 1, "rate": 0.5}
    assert set(data["by_tag"]) == {"change_status", "partial_name"}
    assert data["by_tag"]["partial_name"]["passed"] == 1
    assert data["by_tag"]["change_status"]["conversations"] == 2
    assert data["latency_ms"]["p95"] >= data["latency_ms"]["p50"] > 0
    assert data["tokens"] == {"input": 0, "output": 0} and data["cost_usd"] == 0
    assert data["failed_conversations"] == ["wrong-stage"]
    failure = data["failures"][0]
    assert failure["conversation"] == "wrong-stage" and failure["turn"] == 1
    assert failure["expected"]["actions"][0]["status"] == "Won"
    assert failure["got"]["actions"] == [
        {"type": "change_status", "lead": "Sarah Lee", "status": "Lost"}
    ]
    printed = capsys.readouterr().out
    assert "overall" in printed and "1/2" in printed
    assert "FAIL wrong-stage turn 1: 'move Sarah Lee to Lost'" in printed


def test_gate_fails_below_the_baseline_only(cases_dir: Path, tmp_path: Path, capsys) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"pass_rate": 0.6}')
    assert run("--model", "offline", "--cases", cases_dir, "--gate", baseline) == 1
    assert "GATE FAILED" in capsys.readouterr().err
    baseline.write_text('{"pass_rate": 0.5}')
    # the pass rate is met, but the failing case wrote Lost where Won was expected
    assert run("--model", "offline", "--cases", cases_dir, "--gate", baseline) == 1
    assert "1 conversation(s) with a wrong write" in capsys.readouterr().err
    good = tmp_path / "good"
    write_case(good, MOVE_JOHN)
    baseline.write_text('{"pass_rate": 1.0}')
    assert run("--model", "offline", "--cases", good, "--gate", baseline) == 0
    assert "no wrong writes" in capsys.readouterr().out
    baseline.write_text('{"rate": 0.5}')
    assert run("--model", "offline", "--cases", cases_dir, "--gate", baseline) == 2
    assert "pass_rate" in capsys.readouterr().err


def test_tags_select_conversations(cases_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.json"
    assert run("--cases", cases_dir, "--tags", "partial_name,nope", "--json", out) == 0
    assert report(out)["conversations"] == 1 and report(out)["passed"] == 1
    assert run("--cases", cases_dir, "--tags", "nope") == 2
    assert "tags in use: ['change_status', 'partial_name']" in capsys.readouterr().err


def test_repeat_runs_each_conversation_k_times(cases_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert run("--cases", cases_dir, "--repeat", "3", "--json", out) == 0
    data = report(out)
    assert (data["repeat"], data["conversations"], data["runs"], data["turns"]) == (3, 2, 6, 9)
    assert data["passed"] == 1 and data["runs_passed"] == 3
    assert sorted({f["repetition"] for f in data["failures"]}) == [1, 2, 3]


def test_bad_arguments_exit_2(tmp_path: Path, capsys) -> None:
    assert run("--cases", tmp_path / "missing") == 2
    assert "no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        run("--repeat", "0")
    assert info.value.code == 2


def test_shipped_cassettes_replay_the_openai_path(tmp_path: Path) -> None:
    """`--model replay` with no --cases plays the conversations that have a cassette."""
    assert len(SHIPPED) >= 5
    out = tmp_path / "replay.json"
    assert run("--model", "replay", "--cassettes", CASSETTES, "--json", out) == 0
    data = report(out)
    assert data["conversations"] == len(SHIPPED)
    assert data["passed"] == data["conversations"], data["failures"]
    assert data["tokens"]["input"] > 0 and data["cost_usd"] > 0
    assert "cassette_misses" not in data
    assert data["clarification"]["rate"] == 1.0  # two-johns-by-company asks which John


def test_replay_without_a_recorded_response_fails_clearly(tmp_path: Path, capsys) -> None:
    case = next(CONVERSATIONS.rglob("who-is-in-contacted.yaml"))
    out = tmp_path / "r.json"
    assert run("--model", "replay", "--cassettes", CASSETTES, "--cases", case, "--json", out) == 1
    err = capsys.readouterr().err
    assert "no recorded response for conversation 'who-is-in-contacted' turn 1 call 1" in err
    assert report(out)["passed"] == 0 and report(out)["cassette_misses"]


def test_replay_of_a_stale_cassette_fails_clearly(tmp_path: Path, capsys) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(CASSETTES, cassettes)
    case = write_case(
        tmp_path / "cases",
        {**MOVE_JOHN, "name": "move-by-first-name"},  # same name, other first message
    )
    assert run("--model", "replay", "--cassettes", cassettes, "--cases", case) == 1
    assert "stale cassette for conversation 'move-by-first-name' turn 1 call 1" in (
        capsys.readouterr().err
    )


def test_record_then_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--model openai --cassettes DIR` records through the local proxy; replay reproduces it."""
    case = write_case(tmp_path / "cases", MOVE_JOHN)
    cassettes = tmp_path / "recorded"
    script = [
        status(500),  # retried by the client: must not take a call number
        tool("change_status", lead="John Smith", status="Meeting booked"),
        tool("find_leads", lead="John Smith", field="email"),
    ]
    with fake_openai(script) as upstream:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-recording")
        monkeypatch.setenv("OPENAI_BASE_URL", upstream.url)
        monkeypatch.setenv("OPENAI_MAX_RETRIES", "1")
        out = tmp_path / "record.json"
        assert (
            run("--model", "openai", "--cassettes", cassettes, "--cases", case, "--json", out) == 0
        )
    assert report(out)["passed"] == 1
    assert [r["messages"][-1]["content"] for r in upstream.requests] == [
        "Move John Smith to Meeting booked",
        "Move John Smith to Meeting booked",
        "what's John Smith's email?",
    ]
    tape = json.loads((cassettes / "move-john.json").read_text())
    assert [(i["turn"], i["call"], i["user"]) for i in tape["interactions"]] == [
        (1, 1, "Move John Smith to Meeting booked"),
        (2, 1, "what's John Smith's email?"),
    ]
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    out = tmp_path / "replay.json"
    assert run("--model", "replay", "--cassettes", cassettes, "--cases", case, "--json", out) == 0
    assert report(out)["passed"] == 1
    assert report(out)["tokens"] == {"input": 240, "output": 24}


def test_python_dash_m_evals_runs(cases_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evals", "--cases", str(cases_dir), "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1/2 conversations passed" in done.stdout
