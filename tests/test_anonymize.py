"""``qunkit anonymize``: the copy gives the original's analyses and holds no original name or id;
store files and ``-o`` outputs are owner-only.

Generated groups with planted roles (a QQ export with rosters and titles, a WeChat export), copied
through the CLI; every comparison maps the copy's pseudonyms back with the ``--map-file`` it wrote."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from qunkit import generate as gen
from qunkit.anonymize import CONTACTS, RESERVED, Pseudonyms, _cue_words, _holds_original, in_text_pattern
from qunkit.cli import cli
from qunkit.generate.writers import write_qq_txt, write_roster_csv, write_wechatmsg_txt
from qunkit.members import role_from_title
from qunkit.store import Store


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("anon")
    src = tmp / "store"
    for i, lc in enumerate(("healthy", "dying", "flooded")):
        g = gen.generate_group(f"{lc}群", lifecycle=lc, n_members=50, seed=300 + i, messages=900)
        txt = write_qq_txt(g, tmp / f"g{i}.txt")
        extra = ["--roster", write_roster_csv(g, tmp / f"g{i}.csv")] if i != 1 else []
        assert run("import", txt, *extra, "--facts", "--store", src, "-q").exit_code == 0
    wx = gen.generate_group("微信读书群", n_members=40, seed=77, messages=700, platform="wechat")
    assert run("import", write_wechatmsg_txt(wx, tmp / "wx.txt"), "--store", src, "-q").exit_code == 0
    res = run("anonymize", "--to", tmp / "copy", "--key-file", tmp / "anon.key", "--map-file", tmp / "map.json",
              "--store", src, "--format", "json")
    assert res.exit_code == 0, res.output
    back = json.loads((tmp / "map.json").read_text(encoding="utf-8"))
    return {"src": src, "copy": tmp / "copy", "key": tmp / "anon.key", "back": back, "rows": json.loads(res.stdout),
            "tmp": tmp}


def unmapper(back: dict[str, str]):
    """Replace every pseudonym inside any string of a JSON value by its original (longest first)."""
    pat = re.compile("|".join(re.escape(p) for p in sorted(back, key=len, reverse=True)))

    def unmap(x):
        if isinstance(x, str):
            return pat.sub(lambda m: back[m.group(0)], x)
        if isinstance(x, list):
            return [unmap(v) for v in x]
        if isinstance(x, dict):
            return {k: unmap(v) for k, v in x.items()}
        return x

    return unmap


def _json(store: Path, *args: str) -> list[dict]:
    res = run(*args, "--store", store, "--format", "json")
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("command", [["roles"], ["risk"], ["prune", "--days", "30"], ["activity"],
                                     ["activity", "--by", "day"], ["roles", "--as-of", "2024-03-01"]])
def test_the_copy_gives_the_same_analysis(stores, command):
    original = _json(stores["src"], *command)
    copy = unmapper(stores["back"])(_json(stores["copy"], *command))
    assert len(original) > 3

    def key(r):
        return json.dumps(r, sort_keys=True, ensure_ascii=False)

    assert sorted(map(key, copy)) == sorted(map(key, original))


def test_planted_roles_are_found_in_the_copy_too(stores):
    """Not only equal: the roles the generator planted are there (the comparison is not of two empty lists)."""
    roles = pd.DataFrame(_json(stores["copy"], "roles"))
    assert {"organizer", "advertiser", "lurker"} <= set(roles["role"])
    assert not set(roles["member_id"]) & set(Store(stores["src"]).messages()["sender_id"].astype(str))


def _originals(src: Path) -> tuple[set[str], set[str]]:
    """(every original id and name, the ones long enough to be looked for inside text and bytes)."""
    s = Store(src)
    m = s.messages()
    vals = set()
    for col in ("group_id", "group_name", "sender_id", "sender_name", "msg_id", "reply_to", "event_target"):
        vals |= set(m[col].dropna().astype(str))
    vals |= {t for t in m["sender_title"].dropna().astype(str) if role_from_title(t) is None}
    vals |= {str(v) for v in m["mentions"].dropna().explode().dropna()}
    vals |= {Path(f).name for f in m["source_file"].astype(str)} | {Path(f).stem for f in m["source_file"].astype(str)}
    for roster in s.rosters().values():
        vals |= set(roster["member_id"].astype(str)) | set(roster["member_name"].dropna().astype(str))
    for meta in s.metas().values():
        vals |= {meta["group_id"], meta["group_name"], *meta["names"]}
    vals -= RESERVED
    # a name that is a lexicon word (哈哈) stays in text as that word; very short ones only change after "@"
    looked = {v for v in vals if not _cue_words().fullmatch(v)
              and (len(v) >= 5 if v.isdigit() else len(v) >= 3 if v.isascii() else len(v) >= 2)}
    return vals, looked


def _strings_of(path: Path) -> list[str]:
    """Everything a file says, decoded: Parquet cells (list cells too) and footer metadata, or raw text."""
    if path.suffix == ".parquet":
        f = pq.ParquetFile(path)
        out = [f"{k!r}{v!r}" for k, v in (f.metadata.metadata or {}).items()]
        table = f.read()
        for field, col in zip(table.schema, table.columns, strict=True):
            if "string" in str(field.type):       # numbers (keys, counts) are no names
                out += [json.dumps(v, ensure_ascii=False) for v in col.to_pylist()]
        return out
    return [path.read_bytes().decode("utf-8")]


def test_the_copy_contains_no_original_name_or_id(stores):
    values, looked = _originals(stores["src"])
    assert len(looked) > 200
    files = [p for p in stores["copy"].rglob("*")]
    assert any(p.name == "facts.parquet" for p in files) and any(p.name == "roster.parquet" for p in files)
    found = []
    for p in files:
        rel = str(p.relative_to(stores["copy"]))
        found += [(rel, v) for v in looked if v in rel]
        if p.is_file():
            blob = "\n".join(_strings_of(p))
            found += [(rel, v) for v in looked if v in blob]
    assert not found, found[:10]
    # whole values, however short: no cell of the copy equals an original id or name
    copy = Store(stores["copy"]).messages()
    for col in ("group_id", "group_name", "sender_id", "sender_name"):
        assert not set(copy[col].astype(str)) & values, col


def test_rosters_titles_and_events_are_mapped(stores):
    src, copy = Store(stores["src"]), Store(stores["copy"])
    back = stores["back"]
    r_src = pd.concat(src.rosters().values())
    r_copy = pd.concat(copy.rosters().values())
    assert sorted(r_copy["member_id"].map(back)) == sorted(r_src["member_id"].astype(str))
    assert (r_copy["role"].value_counts().sort_index() == r_src["role"].value_counts().sort_index()).all()
    m0, m1 = src.messages(), copy.messages()
    roles0 = m0["sender_title"].dropna().map(role_from_title).value_counts()
    roles1 = m1["sender_title"].dropna().map(role_from_title).value_counts()
    assert roles0.equals(roles1)
    assert m1["event"].value_counts().equals(m0["event"].value_counts())


def _aligned(stores, table: str) -> pd.DataFrame:
    """Original rows joined to their copies on the message key (re-keyed with the copy's key file)."""
    key = bytes.fromhex(stores["key"].read_text().strip())
    src, copy = Store(stores["src"]), Store(stores["copy"])
    a, b = (src.messages(), copy.messages()) if table == "messages" else (src.facts(), copy.facts())
    a = a.assign(k=Pseudonyms(key).mix(a["msg_key"].to_numpy(np.uint64)))
    j = a.merge(b.assign(k=b["msg_key"].to_numpy(np.uint64)), on="k", suffixes=("", "_c"))
    assert len(j) == len(a) == len(b) > 1000
    return j


def test_text_keeps_its_length_and_maps_back(stores):
    j = _aligned(stores, "messages")
    assert (j["text"].str.len() == j["text_c"].str.len()).all()
    at = j["text"].str.contains("@") & (j["kind"] == "text")
    assert (j["text"] != j["text_c"])[at].mean() > 0.9                          # the @name went
    back = pd.Series(unmapper(stores["back"])(j["text_c"].tolist()), index=j.index)
    contact = j["text"].str.contains(CONTACTS, flags=re.I, regex=True)
    assert (back == j["text"])[~contact].all()                                   # names map back exactly
    assert contact.sum() > 5 and (back != j["text"])[contact].mean() > 0.9     # contacts are masked for good


def test_facts_in_the_copy_equal_the_originals(stores):
    """The source keeps facts, so the copy does: recomputed there, equal message by message."""
    j = _aligned(stores, "facts")
    for col in ("ts", "day", "kind", "chars", "act", "is_system", "is_flood", "is_duplicate", "reply_evidence",
                "reply_confidence", "event"):
        assert (j[col].fillna("-").astype(str) == j[col + "_c"].fillna("-").astype(str)).all(), col
    linked = j["reply_to"].notna()
    assert linked.sum() > 100
    assert (j.loc[linked, "reply_to_member"].map(lambda v: v) ==
            j.loc[linked, "reply_to_member_c"].map(stores["back"].get)).all()


def test_the_same_key_gives_the_same_pseudonyms(stores):
    again = stores["tmp"] / "again"
    other = stores["tmp"] / "other"
    assert run("anonymize", "--to", again, "--key-file", stores["key"], "--store", stores["src"], "-q").exit_code == 0
    assert run("anonymize", "--to", other, "--store", stores["src"], "-q").exit_code == 0

    def names(root):
        return sorted(json.loads(p.read_text(encoding="utf-8"))["group_name"] for p in root.glob("groups/*/meta.json"))

    assert names(again) == names(stores["copy"])
    assert names(other) != names(stores["copy"])
    assert sorted(p.name for p in (again / "messages").iterdir()) == sorted(
        p.name for p in (stores["copy"] / "messages").iterdir())


def test_one_group_only_and_refusals(stores):
    tmp = stores["tmp"]
    res = run("anonymize", "healthy群", "--to", tmp / "one", "--store", stores["src"], "--format", "json")
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == 1 and "healthy" not in res.output
    assert len(Store(tmp / "one").metas()) == 1
    for to in (tmp / "one", stores["src"] / "sub"):           # not empty; inside the source store
        res = run("anonymize", "--to", to, "--store", stores["src"])
        assert res.exit_code == 2 and "--to" in res.output
    assert not (stores["src"] / "sub").exists()
    bad = tmp / "bad.key"
    bad.write_text("not hex\n")
    res = run("anonymize", "--to", tmp / "never", "--key-file", bad, "--store", stores["src"])
    assert res.exit_code == 3 and "bad.key" in res.output


def test_pseudonyms_keep_the_shape_and_are_injective():
    p = Pseudonyms(b"k" * 32)
    values = ["张三", "张三丰", "Bob_2", "13812345678", "123456789", "wxid_abc123", "A", "B", "🌸", "李 四",
              "Echo 老师", "echo_x", "Echoes", *map(str, range(10))]
    p.add(values)
    got = [p.of(v) for v in values]
    assert len(set(got)) == len(values) and not set(got) & set(values)    # injective, never an original
    for v, q in zip(values[:13], got, strict=False):
        assert len(q) == len(v)
        assert [c.isdigit() for c in q] == [c.isdigit() for c in v]
        assert [c.isascii() for c in q] == [c.isascii() for c in v]
    # ten one-digit ids cannot all get another digit: the last resort keeps them apart, not their shape
    assert len({p.of(str(i)) for i in range(10)}) == 10
    # a shared prefix of 3+ characters is shared by the pseudonyms (case-insensitively), a surname is not
    assert p.of("Echo 老师")[:4].lower() == p.of("echo_x")[:4].lower() == p.of("Echoes")[:4].lower()
    assert p.of("Echo 老师").endswith(" 老师")                      # a lexicon word inside a name stays
    assert p.of("张三")[0] != p.of("张三丰")[0] or p.of("张三") != p.of("张三丰")[:2]
    assert p.of("13812345678").startswith("13") and p.of("李 四")[1] == " "
    assert all(0x3400 <= ord(c) <= 0x4DBF for c in p.of("张三"))
    again = Pseudonyms(b"k" * 32)
    again.add(reversed(values))
    assert [again.of(v) for v in values] == got
    assert [pat for pat, *_ in in_text_pattern(["哈哈", "张三"])] == ["(?i)@?张三"]    # a lexicon word stays a word


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_store_files_and_outputs_are_owner_only(tmp_path, umask):
    g = gen.generate_group("权限群", n_members=20, seed=5, messages=200)
    txt = write_qq_txt(g, tmp_path / "g.txt")
    old = os.umask(umask)
    try:
        store = tmp_path / "new" / "store"
        assert run("import", txt, "--roster", write_roster_csv(g, tmp_path / "g.csv"), "--facts",
                   "--store", store, "-q").exit_code == 0
        assert run("risk", "--store", store, "--format", "csv", "-o", tmp_path / "out" / "risk.csv").exit_code == 0
        assert run("anonymize", "--to", tmp_path / "copy", "--key-file", tmp_path / "k", "--store", store,
                   "-q").exit_code == 0
    finally:
        os.umask(old)
    for root in (tmp_path / "new", tmp_path / "copy"):
        modes = _modes(root)
        assert len(modes) > 8
        wrong = {p: oct(m) for p, m in modes.items()
                 if m != (0o700 if (root / p).is_dir() else 0o600)}
        assert not wrong, wrong
    assert stat.S_IMODE((tmp_path / "out" / "risk.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_an_existing_store_keeps_the_mode_its_owner_gave_it(tmp_path):
    store = tmp_path / "shared"
    store.mkdir()
    os.chmod(store, 0o750)
    g = gen.generate_group("共享群", n_members=10, seed=6, messages=80)
    assert run("import", write_qq_txt(g, tmp_path / "g.txt"), "--store", store, "-q").exit_code == 0
    assert stat.S_IMODE(store.stat().st_mode) == 0o750
    parts = list(store.glob("messages/*/part-*.parquet"))
    assert parts and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in parts)
    assert np.all([stat.S_IMODE(p.stat().st_mode) == 0o700 for p in store.iterdir() if p.is_dir()])


def test_a_pseudonym_never_holds_an_original_name() -> None:
    """A random pseudonym that happens to contain an original name ("Mia" in "XMiaX") is refused: the
    copy would hold the name (it made test_the_copy_contains_no_original_name_or_id fail once in CI)."""
    names = {"Mia", "小明", "13800", "ab"}
    assert _holds_original("Amiah", names) is False          # case differs: not the name as written
    assert _holds_original("XMiaX", names) and _holds_original("阿小明", names) and _holds_original("x13800y", names)
    assert not _holds_original("Mia", names)                  # equal is refused elsewhere (``p in originals``)
    assert not _holds_original("xaby", names) and not _holds_original("1380", names)   # too short to read as a name
