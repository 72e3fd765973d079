"""One Europe/Berlin zone: every module reads German local time through `schoolit.kernel.times.BERLIN`;
none builds a ZoneInfo of its own for it (a configured zone, such as a business calendar's, is no
constant and may be built where it is read)."""

from __future__ import annotations

from pathlib import Path

import schoolit

ROOT = Path(schoolit.__file__).parent


def test_only_the_kernel_names_the_berlin_zone() -> None:
    builders = sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                      if path != ROOT / "kernel" / "times.py"
                      and 'ZoneInfo("Europe/Berlin")' in path.read_text(encoding="utf-8"))
    assert builders == []
