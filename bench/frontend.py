"""6. Initial JavaScript of the built frontend, gzipped.

Reads `frontend/dist` (built first with `npm run build` when the build is missing or older than
a source file): the initial chunks are the scripts and `modulepreload` links of `index.html` and,
transitively, the chunks they import statically (`import … from "./x.js"`); chunks only reached
through `import("./x.js")` are lazy and not counted. Each is gzipped (level 9) and the sizes
summed (KB = 1000 bytes, as Vite reports them).
"""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path
from typing import Any

from bench.servers import ROOT

TARGET_KB = 80.0
FRONTEND = ROOT / "frontend"
TAGS = re.compile(
    r"<script[^>]*\bsrc=\"([^\"]+\.js)\"|<link[^>]*rel=\"modulepreload\"[^>]*href=\"([^\"]+\.js)\"|"
    r"<link[^>]*href=\"([^\"]+\.js)\"[^>]*rel=\"modulepreload\""
)
# A static import or re-export in a built chunk; `import(` (dynamic) does not match.
STATIC = re.compile(r"""(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+\.js)["']""")


def _stale(dist: Path) -> bool:
    index = dist / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [FRONTEND / "index.html", *FRONTEND.glob("vite.config.*")]
    sources += [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    return any(p.exists() and p.stat().st_mtime > built for p in sources)


def build(dist: Path) -> bool:
    """`npm run build` when dist is missing or stale; whether it ran."""
    if not _stale(dist):
        return False
    done = subprocess.run(
        ["npm", "run", "build"], cwd=FRONTEND, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(f"npm run build failed:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    return True


def initial_chunks(dist: Path) -> list[Path]:
    """The JS files index.html loads before first paint, with their static imports."""
    html = (dist / "index.html").read_text()
    todo = [dist / next(g for g in m.groups() if g).lstrip("/") for m in TAGS.finditer(html)]
    seen: list[Path] = []
    while todo:
        chunk = todo.pop(0).resolve()
        if chunk in seen or not chunk.exists():
            continue
        seen.append(chunk)
        for ref in STATIC.findall(chunk.read_text(errors="replace")):
            target = (dist / ref.lstrip("/")) if ref.startswith("/") else chunk.parent / ref
            todo.append(target)
    return seen


def run(dist: Path | None = None, quick: bool = False) -> dict[str, Any]:
    """gzip size of each initial chunk and their sum; the lazy chunks listed apart."""
    dist = dist or FRONTEND / "dist"
    if not (FRONTEND / "package.json").exists():
        raise RuntimeError("no frontend/package.json")
    rebuilt = build(dist)
    chunks = initial_chunks(dist)
    if not chunks:
        raise RuntimeError(f"no initial script found in {dist / 'index.html'}")
    sizes = {c: len(gzip.compress(c.read_bytes(), compresslevel=9)) / 1000 for c in chunks}
    lazy = [p for p in sorted((dist / "assets").glob("*.js")) if p.resolve() not in set(chunks)]
    lazy_kb = {p: len(gzip.compress(p.read_bytes(), compresslevel=9)) / 1000 for p in lazy}
    total = sum(sizes.values())
    rows = [
        [c.relative_to(dist.resolve()).as_posix(), "initial", c.stat().st_size / 1000, kb]
        for c, kb in sizes.items()
    ]
    rows += [
        [p.relative_to(dist).as_posix(), "lazy", p.stat().st_size / 1000, kb]
        for p, kb in lazy_kb.items()
    ]
    rows.append(["initial total", "", sum(c.stat().st_size for c in chunks) / 1000, total])
    return {
        "title": "6. Frontend: initial JavaScript, gzipped (frontend/dist)",
        "columns": ["chunk", "loaded", "raw KB", "gzip KB"],
        "rows": rows,
        "targets": [
            {
                "row": "6",
                "target": f"initial JS ≤ {TARGET_KB:g} KB gzip",
                "measured": f"{total:.1f} KB ({len(chunks)} chunk(s))",
                "reference": f"lazy chunks {sum(lazy_kb.values()):.1f} KB (not counted)",
                "met": total <= TARGET_KB,
            }
        ],
        "notes": [
            "Initial = scripts and modulepreload links of index.html plus their static imports; "
            "gzip level 9, KB = 1000 bytes."
            + (" Built now (dist was missing or stale)." if rebuilt else "")
        ],
        "data": {"initial_kb": total, "chunks": {c.name: kb for c, kb in sizes.items()}},
    }
