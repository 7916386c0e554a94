"""What an import's arguments name: export files, folders of exports, and the roster of each.

``qunkit import DIR`` (or several files) is how a cron job imports a night's exports in one
process.  The rules, decided here once for the CLI, ``nightly.sh`` and notebooks:

- A folder that a parser reads as *one* export (a PyWxDump page folder, a QCE chunked export) is
  that export.  Any other folder is a folder of exports: its regular, non-hidden files at the top
  level, in name order (sub-folders are not entered: an export tool's own sub-folders hold media).
- A file in such a folder that no parser recognises is not an error (folders collect other files):
  it is listed as skipped, with the reason, in the import's notes.  A file named on the command line
  that is not an export still stops with the parser's error.
- Rosters are matched by name: the export ``X.<ext>`` takes ``X.roster.csv``, ``X.roster.xlsx``,
  ``X-roster.csv``, ``X-roster.xlsx`` or ``X.xlsx``, looked up beside the export first, then in
  ``roster_dir``.  Files with those names are rosters, never exports.  An explicit ``--roster``
  overrides the match (and keeps its own rule: with several files it needs ``--group``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInput

# ``sniff(path)`` -> the format's name, or BadInput when ``path`` is not an export.  The default reads the
# file (``qunkit.formats``, loaded only then); ``qunkit.unchanged`` answers from imports.json instead.
Sniffer = Callable[[Path], str]

ROSTER_SUFFIXES = (".roster.csv", ".roster.xlsx", "-roster.csv", "-roster.xlsx")


@dataclass
class Inputs:
    """The exports to import in order, the roster matched to each, and the files passed over."""

    exports: list[Path] = field(default_factory=list)
    rosters: dict[Path, Path] = field(default_factory=dict)
    formats: dict[Path, str] = field(default_factory=dict)   # sniffed here already: not sniffed again
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def is_roster_name(path: Path) -> bool:
    """Whether ``path`` is named like a roster (and so is never taken for an export)."""
    name = path.name.lower()
    return name.endswith(ROSTER_SUFFIXES) or name.endswith(".xlsx")


def roster_for(export: Path, roster_dir: Path | None = None) -> Path | None:
    """The roster named after ``export``, beside it or in ``roster_dir`` (first match wins)."""
    stem = export.name if export.is_dir() else export.stem
    names = [stem + s for s in ROSTER_SUFFIXES] + [stem + ".xlsx"]
    for folder in [export.parent] + ([roster_dir] if roster_dir is not None else []):
        for name in names:
            candidate = folder / name
            if candidate != export and candidate.is_file():
                return candidate
    return None


def sniff_name(path: Path) -> str:
    """The name of the format ``qunkit.formats.sniff`` picks for ``path`` (BadInput: not an export)."""
    from .formats import sniff  # noqa: PLC0415 - the parsers load pandas; an unchanged re-import never needs them

    return sniff(path).name


def _is_single_export(folder: Path, input_format: str | None, sniff: Sniffer) -> bool:
    if input_format:
        from .formats import get_parser  # noqa: PLC0415 - as in sniff_name

        return bool(getattr(get_parser(input_format), "accepts_directory", False))
    try:
        sniff(folder)
    except BadInput:
        return False
    return True


def _folder_exports(folder: Path, inputs: Inputs, input_format: str | None, sniff: Sniffer) -> list[Path]:
    found = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name.startswith(".") or not p.is_file() or is_roster_name(p):
            continue
        try:
            if not input_format:   # a named format is the user's word for every file in the folder
                inputs.formats[p] = sniff(p)
        except BadInput as exc:
            inputs.skipped.append((p, str(exc).split("\n", 1)[0].removeprefix(f"{p}: ")))
            continue
        found.append(p)
    return found


def expand_inputs(paths: Iterable[Path], roster_dir: Path | None = None, match_rosters: bool = True,
                  input_format: str | None = None, sniff: Sniffer = sniff_name) -> Inputs:
    """Resolve the import arguments into exports (folders expanded) and their matched rosters."""
    inputs = Inputs()
    named_rosters = []
    for path in map(Path, paths):
        if path.is_dir() and not _is_single_export(path, input_format, sniff):
            inputs.exports.extend(_folder_exports(path, inputs, input_format, sniff))
        elif path.is_file() and is_roster_name(path):
            named_rosters.append(path)   # `qunkit import exports/*` names the rosters too
        else:
            inputs.exports.append(path)
    if match_rosters:
        for export in inputs.exports:
            roster = roster_for(export, roster_dir)
            if roster is not None:
                inputs.rosters[export] = roster
    used = {r.resolve() for r in inputs.rosters.values()}
    inputs.skipped.extend((r, "named like a roster, but no export of the same name was given")
                          for r in named_rosters if r.resolve() not in used)
    return inputs
