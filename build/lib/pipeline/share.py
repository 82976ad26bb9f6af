"""``brief share``: the published brief and the data behind it as one dated zip, ready to send."""
from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

from .config import BRIEF_TITLE
from .errors import BriefError
from .inputs import previous_manifest

CONTENTS = ("brief.html", "brief.pdf", "manifest.json", "data", "figures")
README = """{title}: analytical brief built {built} UTC.

brief.html     the brief; opens offline in any browser
brief.pdf      the same brief for print
data/          CSV tables behind the brief: documents, paragraphs (with their theme coding), figures,
               dated events, actors and quotes. passage_id and citation match the marks in the brief:
               [3:14] is source 3, paragraph 14 of its file.
figures/       every chart as PNG and SVG
manifest.json  what the brief was built from: input hashes, package versions, commit, timings
"""


def share(reports: Path, dest: Path) -> tuple[Path, list[str]]:
    """Write ``brief-<build date>.zip`` into ``dest``; return its path and the names it holds.

    Reads under the build lock, so a build finishing meanwhile cannot mix two briefs in one zip.
    """
    from .build import build_lock

    manifest = previous_manifest(reports)
    if manifest is None or not (reports / "brief.html").is_file():
        raise BriefError(f"no brief in {reports}: run 'brief build' first")
    built = dt.datetime.fromisoformat(manifest["built_at"]) if manifest.get("built_at") else dt.datetime.now(dt.UTC)
    dest.mkdir(parents=True, exist_ok=True)
    target = _free_name(dest, f"brief-{built:%Y-%m-%d}")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    names = []
    try:
        with build_lock(reports), zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", README.format(title=BRIEF_TITLE, built=f"{built:%Y-%m-%d %H:%M}"))
            for name in CONTENTS:
                path = reports / name
                for f in sorted(path.rglob("*")) if path.is_dir() else [path] if path.is_file() else []:
                    if f.is_file():
                        arcname = f.relative_to(reports).as_posix()
                        zf.write(f, arcname)
                        names.append(arcname)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target, names


def _free_name(dest: Path, stem: str) -> Path:
    """``stem.zip``, or ``stem-2.zip`` and so on: an earlier share of the same day is never overwritten."""
    n, path = 1, dest / f"{stem}.zip"
    while path.exists():
        n += 1
        path = dest / f"{stem}-{n}.zip"
    return path
