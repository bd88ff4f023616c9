"""Every ```python block of every docs page runs: the docs cannot drift from the code.

Blocks of one page run in sequence in one fresh interpreter, from the repository root, so a
later block may use names an earlier block defined. A block whose first line is
``# docs: skip`` is shown but not run (for snippets that need a cluster or network).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("**/*.md"))
PAGES = [ROOT / "README.md", *DOCS]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(page: Path) -> list[str]:
    return [b for b in BLOCK.findall(page.read_text()) if not b.startswith("# docs: skip")]


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: p.name)
def test_docs_page_code_runs(page: Path) -> None:
    """The page's python blocks run without error, in order, in one interpreter."""
    script = "\n\n".join(
        f"# --- block {i + 1} of {page.name}\n{b}" for i, b in enumerate(_blocks(page))
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"{page.name} failed:\n{proc.stderr[-3000:]}"


def test_every_page_is_in_the_nav() -> None:
    """mkdocs.yml lists every page under docs/ (mkdocs --strict would fail otherwise)."""
    nav = (ROOT / "mkdocs.yml").read_text()
    missing = [p.relative_to(ROOT / "docs").as_posix() for p in DOCS]
    missing = [m for m in missing if m not in nav]
    assert missing == []
