"""Smoke test of `make bench`: every benchmark at a tiny size, checking the shape of its result.

The figures themselves are not asserted (tiny runs on a busy CI machine say little); what is
asserted is that each benchmark runs end to end against the real servers, measures both sides
in the same run (ours and its reference, interleaved rounds), checks what it must check
(replies, histories) and reports its rows of the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import board, changelog, frontend, leads, load, report, scaleout, stream, studio
from bench.__main__ import ROWS, main, search_section
from tests.utils.postgres import PostgresServer


def _numbers(row: list, columns: slice) -> list[float]:
    values = row[columns]
    assert all(isinstance(v, int | float) and v > 0 for v in values), row
    return values


def _targets_shape(section: dict, rows: set[str] | None = None) -> None:
    assert "error" not in section, section.get("error")
    assert len(section["rows"]) >= 1
    assert all(len(row) == len(section["columns"]) for row in section["rows"])
    for target in section["targets"]:
        assert (
            {"target", "measured", "met"}
            <= set(target)
            <= {
                "row",
                "target",
                "measured",
                "reference",
                "met",
                "result",
            }
        )
        assert target["met"] in (True, False, None)
    if rows is not None:
        assert {t["row"] for t in section["targets"]} == rows
        assert all(t["reference"] for t in section["targets"])


def test_overhead_through_main_writes_both_result_files(tmp_path: Path) -> None:
    assert main(["--only", "overhead", "--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["meta"]["quick"] is True and results["meta"]["total_seconds"] > 0
    section = results["sections"]["overhead"]
    _targets_shape(section, {"3a", "3b"})
    names = [row[0] for row in section["rows"]]
    assert names == [
        "ours · SQLite",
        "tuned stock · SqliteSaver (WAL)",
        "ours · Postgres",
        "tuned stock · PostgresSaver",
    ]
    by_round = section["data"]["p50_by_round"]
    assert all(len(rounds) == 3 for rounds in by_round.values())  # ≥ 3 interleaved rounds
    assert {t["met"] for t in section["targets"]} <= {True, False}
    markdown = (tmp_path / "results.md").read_text()
    assert "## 3. Our turn vs tuned stock LangGraph" in markdown
    assert "| 3a | overhead |" in markdown and "| ours · SQLite |" in markdown
    assert "reference (same run)" in markdown


def test_a_failing_benchmark_keeps_its_summary_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> dict:
        raise RuntimeError("no build here")

    monkeypatch.setattr(frontend, "run", broken)
    assert main(["--only", "frontend", "--out", str(tmp_path)]) == 0
    markdown = (tmp_path / "results.md").read_text()
    assert (
        "| 6 | frontend | initial JS ≤ 80 KB gzip | not measured: RuntimeError: no build here"
        in (markdown)
    )
    assert set(ROWS) >= {"load", "overhead", "leads", "scaleout", "frontend", "studio"}
    assert set(ROWS["changelog"]) == {"8a", "8b", "8c", "8d"}
    assert set(ROWS["board"]) == {"9", "10a", "10b"}


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


def test_studio_reports_the_throughput_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(studio, "WARMUP", 1)
    section = studio.run(latency_turns=2, clients=2, turns_per_client=1)
    _targets_shape(section, {"7"})
    assert "throughput ratio" in section["targets"][0]["target"]
    assert "idle poll" in section["columns"][1]
    theirs, ours = section["data"]["theirs"], section["data"]["ours"]
    for side in (theirs, ours):
        assert side["errors"] == 0 and side["latency_ms"]["n"] == 2 and side["runs_per_s"] > 0


def test_load_interleaves_the_baseline_commit_and_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "FORM_LOGINS", 1)  # one form login, two sessions made ahead
    section = load.run(sessions=3, turns=2, rounds=2)
    _targets_shape(section, {"1a", "1b", "2", "2b"})
    rounds = section["data"]["rounds"]
    assert set(rounds) == {"baseline", "ours"}
    assert [row[0].split()[0] for row in section["rows"]] == ["baseline", "ours"] * 2
    for figures in rounds["baseline"] + rounds["ours"]:
        assert figures["turns_ok"] == 6
        assert figures["logins"] == {"form": 1, "made": 2}
        assert (figures["errors"], figures["lost"], figures["interleaved"]) == (0, 0, 0)
        assert set(figures["cpu_s"]) == {"proxy", "agent", "load client"}
        assert figures["cpu_s"]["agent"] > 0 and figures["cpu_s"]["proxy"] > 0
    assert section["targets"][-1]["met"] is True  # 0 errors / 0 lost in every round
    assert "ratio per round" in section["targets"][2]["measured"]


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


def test_leads_compares_a_small_and_a_big_store() -> None:
    section = leads.run(sizes=(20, 300), rounds=3, turns=2)
    _targets_shape(section, {"4"})
    assert section["data"]["wrong_replies"] == []
    assert len(section["data"]["ratios"]) == 3 and all(r > 0 for r in section["data"]["ratios"])
    assert [row[0] for row in section["rows"]] == ["20", "300", "300 / 20"]


def test_scaleout_runs_one_and_two_agents(postgres_server: PostgresServer) -> None:
    section = scaleout.run(sessions=2, turns=1, rounds=1, postgres_url=postgres_server.url)
    _targets_shape(section, {"5"})
    rounds = section["data"]["rounds"]
    for n in (1, 2):
        assert rounds[n][0]["turns_ok"] == 2 and rounds[n][0]["errors"] == 0
    assert [row[0] for row in section["rows"]] == ["1 agent process", "2 agent processes"]


def test_frontend_counts_initial_chunks_not_lazy_ones(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<script type="module" crossorigin src="/assets/index.js"></script>'
        '<link rel="modulepreload" crossorigin href="/assets/react.js">'
    )
    (dist / "assets" / "index.js").write_text(
        'import{a as b}from"./vendor.js";const l=()=>import("./board.js");' + "x" * 500
    )
    (dist / "assets" / "react.js").write_text("export const r=1;" + "y" * 300)
    (dist / "assets" / "vendor.js").write_text('export*from"./deep.js";')
    (dist / "assets" / "deep.js").write_text("export const d=2;")
    (dist / "assets" / "board.js").write_text("export const lazy=3;" + "z" * 900)
    names = sorted(p.name for p in frontend.initial_chunks(dist))
    assert names == ["deep.js", "index.js", "react.js", "vendor.js"]
    section = frontend.run(dist=dist)
    _targets_shape(section, {"6"})
    assert [row[1] for row in section["rows"]].count("lazy") == 1
    assert section["targets"][0]["met"] is True  # a few hundred bytes


@pytest.mark.browser
def test_stream_measures_events_and_polling_in_chromium() -> None:
    section = stream.run(samples=1, model_seconds=(0.05, 0.1))
    _targets_shape(section)
    delays = section["data"]["delays_ms"]
    assert len(delays["events"]) == len(delays["polling"]) == 1
    assert all(d > 0 for d in delays["events"] + delays["polling"])


def test_changelog_compares_the_store_with_the_pre_log_baseline(
    postgres_server: PostgresServer,
) -> None:
    section = changelog.run(writes=5, rounds=3, postgres_url=postgres_server.url)
    _targets_shape(section, {"8a", "8b", "8c", "8d"})
    assert [row[0] for row in section["rows"]] == [
        "SQLite · update",
        "SQLite · create",
        "PostgreSQL · update",
        "PostgreSQL · create",
    ]
    for backend in ("SQLite", "PostgreSQL"):
        for op in changelog.OPS:
            sides = section["data"]["p50_ms"][backend][op]
            assert len(sides["ours"]) == len(sides["baseline"]) == 3  # interleaved rounds
            assert all(ms > 0 for ms in sides["ours"] + sides["baseline"])
        assert section["data"]["last_seq"][backend] >= 3 * 2 * (5 + changelog.WARM_UP)
    markdown = report.markdown(
        {
            "meta": {"started_at": "now", "cpus": 2, "python": "3", "total_seconds": 1},
            "sections": {"changelog": section},
        }
    )
    assert "| 8a | changelog | change-log cost per lead update (SQLite), p50 |" in markdown
    assert markdown.count("| reported |") == 4  # no target: reported, not "not measured"


@pytest.mark.browser
def test_board_measures_event_latency_first_paint_and_counts() -> None:
    section = board.run(changes=1, leads=30, rounds=3, small=12)
    _targets_shape(section, {"9", "10a", "10b"})
    latency = section["data"]["latency_ms"]
    assert len(latency) == 3 and all(len(changes) == 1 for changes in latency)
    assert all(d["from_commit"] > 0 for changes in latency for d in changes)
    paints = section["data"]["paints"]
    assert [len(paints["small"]), len(paints["big"])] == [3, 3]
    assert all(p["total"] == 30 and p["frame"] > 0 for p in paints["big"])
    assert section["targets"][2]["met"] is True  # counts and sums equal the server's summary
