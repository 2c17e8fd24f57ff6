"""Smoke test of `make bench`: every benchmark at a tiny size, checking the shape of its result.

The figures themselves are not asserted (tiny runs on a busy CI machine say little); what is
asserted is that each benchmark runs end to end against the real servers, measures both sides,
checks what it must check (replies, histories) and reports its targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import load, report, stream, studio
from bench.__main__ import main, search_section


def _numbers(row: list, columns: slice) -> list[float]:
    values = row[columns]
    assert all(isinstance(v, int | float) and v > 0 for v in values), row
    return values


def _targets_shape(section: dict) -> None:
    assert "error" not in section, section.get("error")
    assert len(section["rows"]) >= 1
    assert all(len(row) == len(section["columns"]) for row in section["rows"])
    for target in section["targets"]:
        assert set(target) == {"target", "measured", "met"}
        assert target["met"] in (True, False, None)


def test_overhead_through_main_writes_both_result_files(tmp_path: Path) -> None:
    assert main(["--only", "overhead", "--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["meta"]["quick"] is True and results["meta"]["total_seconds"] > 0
    section = results["sections"]["overhead"]
    _targets_shape(section)
    names = [row[0] for row in section["rows"]]
    assert names[:2] == ["ours · SQLite", "stock · SqliteSaver"]
    assert "ours · Postgres" in names and "stock · PostgresSaver" in names
    for row in section["rows"]:
        _numbers(row, slice(1, 5))
    assert {t["met"] for t in section["targets"]} <= {True, False}
    markdown = (tmp_path / "results.md").read_text()
    assert "## 1. Agent overhead per turn" in markdown and "| ours · SQLite |" in markdown


def test_main_refuses_an_unknown_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "overhead,nonsense", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "unknown benchmark(s): nonsense" in capsys.readouterr().err
    assert not (tmp_path / "results.json").exists()


def test_search_figures_become_a_section() -> None:
    from bench import search

    section = search_section(search.run([300], backends=["sqlite"]))
    _targets_shape(section)
    assert section["rows"][0][0] == "300"
    _numbers(section["rows"][0], slice(1, 3))
    assert section["targets"][0]["met"] is None  # 1M was not run: not measured, not "met"
    assert "not measured" in report.markdown(
        {
            "meta": {"started_at": "now", "cpus": 2, "python": "3", "total_seconds": 1},
            "sections": {"search": section},
        }
    )


def test_studio_measures_langgraph_dev_and_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(studio, "WARMUP", 1)
    section = studio.run(latency_turns=2, clients=2, turns_per_client=1)
    _targets_shape(section)
    theirs, ours = section["data"]["theirs"], section["data"]["ours"]
    for side in (theirs, ours):
        assert side["errors"] == 0 and side["latency_ms"]["n"] == 2 and side["runs_per_s"] > 0


def test_load_checks_every_reply_and_history() -> None:
    section = load.run(sessions=2, turns=3)
    _targets_shape(section)
    data = section["data"]
    assert data["turns_ok"] == 6
    assert (data["errors"], data["lost"], data["interleaved"]) == (0, 0, 0)
    assert set(data["cpu_s"]) >= {"agent service", "load client"}


def test_history_check_catches_lost_and_interleaved_messages() -> None:
    turns = load.script(7, 4)
    history = [
        item
        for message, reply in turns
        for item in ({"role": "user", "content": message}, {"role": "assistant", "content": reply})
    ]
    assert load.check_history({"messages": history}, turns) == (0, 0)
    swapped = history[:2] + history[4:6] + history[2:4] + history[6:]
    assert load.check_history({"messages": swapped}, turns)[1] > 0
    assert load.check_history({"messages": history[:-1]}, turns)[0] == 1


@pytest.mark.browser
def test_stream_measures_events_and_polling_in_chromium() -> None:
    section = stream.run(samples=1, model_seconds=(0.05, 0.1))
    _targets_shape(section)
    delays = section["data"]["delays_ms"]
    assert len(delays["events"]) == len(delays["polling"]) == 1
    assert all(d > 0 for d in delays["events"] + delays["polling"])
