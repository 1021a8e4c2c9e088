"""The declared lower bounds of every direct dependency, as a pip constraints file, and a check.

`make test-oldest` installs the project at these floors and runs the tests, so a floor in
requirements*.txt or pyproject.toml is a version that was tested, not one that was assumed.

    python tests/floors.py constraints FILE...   print `name==floor` for every direct dependency
    python tests/floors.py check FILE...         print declared floor against installed version;
                                                 exit 1 unless every installed version equals its floor

A direct dependency without a floor (`>=` or `==`) is an error: with no floor, "the oldest
allowed version" is whatever the registry's oldest release is, which nobody has tested.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    tomllib = None

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_FLOOR = re.compile(r"(?:>=|==)\s*([0-9][0-9A-Za-z.+!-]*)")


def _lines(path: Path) -> list[str]:
    if path.suffix == ".toml":
        data = tomllib.loads(path.read_text())["project"]
        reqs = list(data.get("dependencies", []))
        for extra in data.get("optional-dependencies", {}).values():
            reqs += extra
        return reqs
    out = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):  # -r, -e, --index-url: not a requirement
            out.append(line)
    return out


def floors(paths) -> dict[str, str]:
    """``{normalised name: floor}`` for every requirement in the files; ValueError if one has none."""
    found, missing = {}, []
    for path in map(Path, paths):
        for req in _lines(path):
            match = _NAME.match(req)
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            floor = _FLOOR.search(match.group(3))
            if floor is None:
                missing.append(f"{path}: {req!r}")
                continue
            if name in found and found[name] != floor.group(1):
                raise ValueError(f"{name} has two floors: {found[name]} and {floor.group(1)}")
            found[name] = floor.group(1)
    if missing:
        raise ValueError("requirements without a floor (>= or ==): " + "; ".join(missing))
    return found


def _same(have: str, floor: str) -> bool:
    """2.13.0+cpu is torch 2.13.0, and 8.0.0 is the floor 8.0."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(have).public == Version(floor).public or Version(have) == Version(floor)
    except InvalidVersion:
        return have == floor


def check(paths) -> int:
    bad = 0
    print(f"{'package':<28} {'floor':<14} installed")
    for name, floor in sorted(floors(paths).items()):
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "(missing)"
        ok = have != "(missing)" and _same(have, floor)
        bad += not ok
        print(f"{name:<28} {floor:<14} {have}{'' if ok else '   <-- not the floor'}")
    return 1 if bad else 0


def main(argv) -> int:
    if len(argv) < 2 or argv[0] not in ("constraints", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "check":
            return check(argv[1:])
        for name, floor in sorted(floors(argv[1:]).items()):
            print(f"{name}=={floor}")
        return 0
    except ValueError as exc:
        print(f"floors: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
