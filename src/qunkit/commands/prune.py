"""``qunkit prune`` and ``qunkit rollcall``: whom to remove, and who answered the roll call, as results.

The table shows local wall-clock dates; json/csv keep ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..analysis.prune import COLUMNS, prune_candidates, read_keep
from ..analysis.roles import main_roles
from ..analysis.rollcall import STATUS_COLUMNS, announcement_text, find_rollcalls, rollcall_status
from ..analysis.scope import Scope
from ..engine import Engine, GroupInput, Progress, batched, combine, reads_features, run, split_frame
from ..errors import EXIT_THRESHOLD, BadInput
from ..formats.textio import bytes_encoding
from ..localtime import DEFAULT_TZ, local_text
from .analysis import member_features_group
from .loading import as_of_note, load_scope
from .result import Note, Result

WINDOW = pd.Timedelta(hours=24)  # answers count this long after a roll-call announcement
NO_ROSTER = ("no member roster for {items}: only members seen in the log (speakers, join lines) are judged; "
             "members who never spoke cannot be listed. Import a roster (qunkit import EXPORT --roster FILE) "
             "to include them.")


def read_keep_file(path: Path) -> list[str]:
    """Ids or names never to list, from a UTF-8 or GB18030 file (Windows Notepad writes either)."""
    raw = Path(path).read_bytes()
    try:
        return read_keep(raw.decode(bytes_encoding(raw, path)).splitlines())
    except (UnicodeDecodeError, BadInput):
        raise BadInput(f"{path}: cannot decode the --keep file as UTF-8 or GB18030") from None


def announcement(at: str = "20:00", tz: str = DEFAULT_TZ) -> Result:
    """The roll-call message to post in the group before pruning (``ValueError`` for a bad ``at``)."""
    return Result(text=announcement_text(at, tz=tz))


def _split_prune(result: tuple[pd.DataFrame, dict, dict[str, str]], group_ids: list[str]
                 ) -> dict[str, tuple[pd.DataFrame, dict]]:
    """``prune_group``'s batch result as one ``(candidates, attrs)`` per group."""
    out, attrs, names = result
    frames = split_frame(out, group_ids)
    no_roster = set(attrs.get("no_roster", ()))
    return {g: (frames[g].drop(columns="group_id"),
                {**attrs, "no_roster": [names[g]] if names.get(g) in no_roster else []}) for g in group_ids}


@reads_features(needs=("text",))      # the roll call's announcements and answers
@batched(_split_prune)
def prune_group(g: GroupInput, **options) -> tuple[pd.DataFrame, dict, dict[str, str]]:
    """The groups' candidates, the frame's attrs (no_roster, notes: attrs do not travel in a pickle) and
    their names; the engine splits this into ``(candidates, attrs)`` per group.

    The roles (advertisers are listed whatever their recency) come from the same read: a group's roles
    depend on that group alone (``roles_from_features``), so scoring them here gives the roles a pass
    over all groups gives, without reading and deriving every group twice."""
    roles = main_roles(member_features_group(g))
    out = prune_candidates(g.messages, g.members, roles, g.as_of, with_group_id=True, **options)
    last = g.messages[["group_id", "group_name"]].drop_duplicates("group_id", keep="last").astype(str)
    return out, dict(out.attrs), dict(zip(last["group_id"], last["group_name"], strict=True))


PRUNE_ORDER = (["group_name", "days_silent", "member_id"], [True, False, True])   # prune_candidates' order


def prune(store, scope: Scope, *, days: int = 90, grace_days: int = 14, min_messages: int | None = None,
          keep: Sequence[str] = (), window: pd.Timedelta = WINDOW,
          rollcall_message: str | None = None, fail_if_any: bool = False, tz: str = DEFAULT_TZ,
          engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """Members to remove, each with the reason; exit code 1 with ``fail_if_any`` and a non-empty list."""
    done = run(store, scope, prune_group, engine=engine, progress=progress, days=days, grace_days=grace_days,
               min_messages=min_messages, keep=list(keep), rollcall_window=window, rollcall_message=rollcall_message)
    as_of = done.as_of
    out = combine([o for o, _ in done.results], *PRUNE_ORDER)
    attrs = [a for _, a in done.results]
    no_roster = sorted({n for a in attrs for n in a.get("no_roster", ())})
    notes: list[str | Note | None] = [
             f"{as_of_note(as_of, tz, '')}; silent = no message for {days} days",
             Note(NO_ROSTER, tuple(no_roster)),
             *dict.fromkeys(n for a in attrs for n in a.get("notes", [])),
             _summary(out) + "; qunkit removes no one: act on this list yourself"]
    def table() -> pd.DataFrame:
        return out.assign(last_spoke=local_text(out["last_spoke"], tz), joined=local_text(out["joined"], tz))
    return Result(rows=out, columns=COLUMNS, title=f"Prune candidates ({len(out)})", notes=notes, table=table,
                  exit_code=EXIT_THRESHOLD if fail_if_any and len(out) else 0)


def _summary(out: pd.DataFrame) -> str:
    if out.empty:
        return "no one to prune"
    # counted per distinct reason (a handful), not split row by row; ties keep first appearance, as
    # ``str.split().explode().value_counts()`` orders them
    labels: dict[str, int] = {}
    for reason, n in out["reason"].value_counts(sort=False).items():
        for label in reason.split("; "):
            labels[label] = labels.get(label, 0) + int(n)
    counts = pd.Series(labels, dtype="int64").sort_values(ascending=False, kind="stable")
    parts = ", ".join(f"{n} {r}" for r, n in counts.items())
    return f"{len(out)} member(s) in {out['group_name'].nunique()} group(s): {parts}"


def rollcall(store, scope: Scope, *, message: str | None = None, window: pd.Timedelta = WINDOW,
             all_calls: bool = False, only: str | None = None, tz: str = DEFAULT_TZ) -> Result:
    """Who answered each group's latest roll call (``all_calls``: every one); ``only`` answered/missing."""
    messages, members, as_of = load_scope(store, scope)
    calls = find_rollcalls(messages, message=message, window=window, as_of=as_of)
    status = rollcall_status(messages, members, calls, latest_only=not all_calls)
    notes: list[str | Note | None] = []
    if calls.empty:
        what = f"containing {message!r}" if message else "(清人/点名/潜水 ... 在的请打1, or use --message TEXT)"
        notes.append(f"no roll-call announcement found {what} up to {as_of.tz_convert(tz):%Y-%m-%d %H:%M}")
    else:
        shown = calls if all_calls else calls.groupby("group_id", sort=False).tail(1)
        counts = status.groupby(["group_name", "announced"], sort=False)["answered"].agg(["sum", "size"])
        lines = []
        for c in shown.itertuples(index=False):  # one line per roll call, not per member
            yes, n = counts.loc[(c.group_name, c.announced)] if (c.group_name, c.announced) in counts.index else (0, 0)
            lines.append(f"{c.group_name}: roll call by {c.announcer_name} at "
                         f"{c.announced.tz_convert(tz):%Y-%m-%d %H:%M}: {int(yes)} answered, {int(n - yes)} did not")
        notes.append(Note(None, tuple(lines), noun="roll call"))
        no_roster = sorted(set(members.loc[~members["roster_known"].astype(bool), "group_name"].astype(str))
                           & set(shown["group_name"]))
        notes.append(Note("no member roster for {items}: non-answerers are only the members seen in the log; "
                          "members who never spoke cannot be listed", tuple(no_roster)))
    if only:
        status = status[status["answered"] == (only == "answered")]
    table = status.assign(announced=local_text(status["announced"], tz, "%Y-%m-%d %H:%M"),
                          answered_at=local_text(status["answered_at"], tz, "%Y-%m-%d %H:%M"),
                          answered=status["answered"].map({True: "yes", False: "no"}))
    return Result(rows=status, columns=STATUS_COLUMNS, title="Roll call", notes=notes, table=table)
