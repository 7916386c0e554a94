"""Reasons never contradict the role: the first reason of every member's role cites a positive count of
the evidence behind that role ("laughter or banter in 0 of 5 messages" for a joker must be impossible).

Checked through ``qunkit roles --format json`` on generated QQ exports of every life cycle and on the
real QQ exports (``realdata`` fixture).  Figures only: nothing from the real files reaches an assertion
message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qunkit import generate as gen
from qunkit.cli import cli
from qunkit.generate.writers import write_qq_txt, write_roster_csv

# the lead reason of each role, with the count(s) that must be positive
LEAD = {
    "organizer": [r"^group (?:owner|admin) in the (?:roster|export)$()", r"^posted (\d+) of the \d+ announcements?",
                  r"^(?:\d+ (?:welcomes? of newcomers|rule reminders?|notices?)(?:, )?)+ in \d+ messages?$()",
                  r"^invited or removed members (\d+) times?$"],
    "thinker": [r"^(\d+) of \d+ substantive messages? \(.*\) drew replies, from (\d+) (?:person|people)$"],
    "joker": [r"^laughter or banter in (\d+) of \d+ messages?$", r"^(\d+) stickers?, (\d+) red packets? in",
              r"^(\d+) of \d+ messages? with content are casual talk .*, (\d+)x the group's median speaker's rate$"],
    "asker": [r"^asked (\d+) questions? in \d+ messages?$", r"^thanked others for answers (\d+) times?"],
    "challenger": [r"^complained about the group or its management (\d+) times? in \d+ messages?$"],
    "advertiser": [r"^(\d+) of \d+ messages? look like ads"],
    "lurker": [r"^never spoke in (\d+) days?", r"^\d+ messages? in (\d+) days? as a member"],
}
# sentences that state a zero count of a role's own evidence: never a reason for that role
ZERO = {"joker": r"laughter or banter in 0 of|^0 of \d+ messages? with content are casual|, 0x the group's median",
        "asker": r"^asked 0 questions", "challenger": r"management 0 times",
        "advertiser": r"^0 of \d+ messages? look like ads", "thinker": r"^0 of \d+ substantive|from 0 people"}
# a comparison with the group cited for a role says they do more of it than the group: never less
BELOW = r"(\d+(?:\.\d+)?)x the group's (?:rate|median)"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def contradictions(rows: list[dict]) -> list[str]:
    """One line per member whose reasons do not support their role (figures only, no names)."""
    bad = []
    for i, row in enumerate(rows):
        role, reasons = row["role"], row["reasons"]
        lead = reasons[0] if reasons else ""
        hit = next((m for m in (re.match(p, lead) for p in LEAD[role]) if m), None)
        counts = [int(g) for g in (hit.groups() if hit else ()) if g]
        if hit is None:
            bad.append(f"row {i} ({role}): lead reason is not {role} evidence")
        elif counts and not (all if role == "thinker" else any)(c > 0 for c in counts):
            bad.append(f"row {i} ({role}): lead reason cites a zero count")
        if role in ZERO and any(re.search(ZERO[role], r) for r in reasons):
            bad.append(f"row {i} ({role}): a reason states zero evidence for the role")
        if any(float(m.group(1)) < 1 for m in (re.search(BELOW, r) for r in reasons) if m):
            bad.append(f"row {i} ({role}): a reason puts them below the group's own rate")
    return bad


def test_the_check_catches_a_contradicting_reason():
    rows = [{"role": "joker", "reasons": ["laughter or banter in 0 of 5 messages", "2 stickers, 0 red packets in 5"]},
            {"role": "asker", "reasons": ["thanked others for answers 2 times (谢谢 ...)", "asked 0 questions in 9"]},
            {"role": "thinker", "reasons": ["answered others' questions 3 times", "x"]},
            {"role": "joker", "reasons": ["3 stickers, 0 red packets in 4 messages", "x"]},
            {"role": "asker", "reasons": ["asked 51 questions in 403 messages",
                                          "questions are 13% of their messages with content, 0.9x the group's rate (14%)"]},
            {"role": "asker", "reasons": ["asked 5 questions in 14 messages",
                                          "questions are 36% of their messages with content, 2.5x the group's rate (14%)"]}]
    assert sorted({b.split(":")[0] for b in contradictions(rows)}) == ["row 0 (joker)", "row 1 (asker)", "row 2 (thinker)",
                                                                         "row 4 (asker)"]


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("role-reasons")
    store = str(tmp / "store")
    for i, lc in enumerate(("healthy", "dying", "flooded", "one_man_show", "holiday_lull")):
        g = gen.generate_group(f"{lc}群", lifecycle=lc, n_members=80, seed=300 + i, messages=900)
        args = ["import", str(write_qq_txt(g, tmp / f"g{i}.txt")), "--store", store, "--quiet"]
        if i % 2 == 0:                          # with and without a roster
            args += ["--roster", str(write_roster_csv(g, tmp / f"g{i}.csv"))]
        assert run(*args).exit_code == 0
    return store


def _roles(store: str) -> list[dict]:
    res = run("roles", "--store", store, "--format", "json", "--quiet")
    assert res.exit_code == 0
    return json.loads(res.stdout)


def test_generated_groups_every_reason_supports_its_role(generated_store: str):
    rows = _roles(generated_store)
    assert len({r["role"] for r in rows}) >= 6            # the check sees most roles, not only lurkers
    assert contradictions(rows) == []


def test_real_qq_exports_every_reason_supports_its_role(realdata: Path, tmp_path: Path):
    files = sorted((realdata / "qq-txt").glob("*.txt"))
    assert files, "realdata/qq-txt holds no .txt export"
    store = str(tmp_path / "store")
    assert run("import", *map(str, files), "--store", store, "--quiet").exit_code == 0
    rows = _roles(store)
    assert len(rows) > 500
    problems = contradictions(rows)
    assert problems == [], f"{len(problems)} members: " + "; ".join(problems[:5])
    # the practice's thinkers are a few people per group, not a quarter of its speakers
    for gid in {r["group_id"] for r in rows}:
        speakers = [r for r in rows if r["group_id"] == gid and r["messages"] > 0]
        thinkers = sum(r["role"] == "thinker" for r in speakers)
        assert thinkers <= max(3, 0.12 * len(speakers)), f"{thinkers} thinkers of {len(speakers)} speakers"
