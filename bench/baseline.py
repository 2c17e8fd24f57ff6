"""Today's path, kept runnable: the services of another commit, for same-run comparisons.

`BENCH_BASELINE_REF` (default `cc2161a`, main before the performance round) is exported with
`git archive` into `<tmp>/crm-bench-baseline-<sha>` and given its own `.venv` by
`uv sync --frozen` (from uv's cache; no network when the cache holds the locked wheels). A
folder made earlier for the same commit is reused. `git archive` rather than `git worktree add`:
the result is the same tree of files, and the repository's list of worktrees is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.servers import ROOT, Stack

DEFAULT_REF = "cc2161a"
READY = ".bench-baseline-ready"


def ref() -> str:
    """The baseline commit asked for (BENCH_BASELINE_REF, else the default)."""
    return os.environ.get("BENCH_BASELINE_REF") or DEFAULT_REF


def _uv() -> str:
    local = ROOT / ".tools" / "bin" / "uv"
    found = shutil.which("uv")
    if found:
        return found
    if local.exists():
        return str(local)
    raise RuntimeError("uv not found (run `make install` first: it creates .tools/bin/uv)")


def resolve(commit: str) -> str:
    """The full hash of `commit` in this repository."""
    return subprocess.run(
        ["git", "rev-parse", "--verify", f"{commit}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def stack(commit: str | None = None, parent: Path | None = None) -> Stack:
    """A runnable checkout of `commit` with its virtualenv (made once, then reused)."""
    sha = resolve(commit or ref())
    folder = (parent or Path(tempfile.gettempdir())) / f"crm-bench-baseline-{sha[:12]}"
    python = folder / ".venv" / "bin" / "python"
    label = f"baseline {sha[:7]}"
    if (folder / READY).exists() and python.exists():
        return Stack(folder, str(python), label)
    # Built in place (a virtualenv names its folder inside); the marker says it is complete.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", sha], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(
        ["tar", "-x", "-C", str(folder)], input=archive.stdout, capture_output=True, check=True
    )
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    done = subprocess.run(
        [_uv(), "sync", "--frozen", "--python", "python3"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode or not python.exists():
        raise RuntimeError(f"uv sync in the baseline ({folder}) failed:\n{done.stderr[-2000:]}")
    (folder / READY).write_text(sha + "\n")
    return Stack(folder, str(python), label)
