"""``qunkit anonymize``: one small synthetic case per cause that once made the copy's analyses differ
from the original's (found on real exports with benchmarks/anonymize_realdata.py, which prints counts
only).  Each test fails with its fix reverted.  Every name and text here is invented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from click.testing import CliRunner

from qunkit.analysis.acts import classify_texts
from qunkit.anonymize import Anonymizer, Pseudonyms, _emoji_pool, new_cues, same_flags, text_words
from qunkit.cli import cli
from qunkit.members import normalise_names
from qunkit.store import Store

KEY = b"k" * 32
DATA = Path(__file__).parent / "data"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def qq_txt(path: Path, group: str, lines: list[tuple[str, str, str]]) -> Path:
    """A QQ .txt export of ``lines`` (time, "name(id)", text)."""
    head = f"消息记录（此消息记录为文本格式，不支持重新导入）\n\n{'=' * 64}\n消息分组:我的QQ群\n{'=' * 64}\n" \
           f"消息对象:{group}\n{'=' * 64}\n\n"
    path.write_text(head + "".join(f"2024-03-01 {t} {who}\n{text}\n\n" for t, who, text in lines), encoding="utf-8")
    return path


def copy_of(tmp: Path, *exports: Path) -> tuple[Store, Store, dict[str, str]]:
    """(original, copy, pseudonym -> original) of a store importing ``exports``."""
    src = tmp / "store"
    for e in exports:
        assert run("import", e, "--store", src, "-q").exit_code == 0
    res = run("anonymize", "--to", tmp / "copy", "--map-file", tmp / "map.json", "--store", src, "-q")
    assert res.exit_code == 0, res.output
    return Store(src), Store(tmp / "copy"), json.loads((tmp / "map.json").read_text(encoding="utf-8"))


def text_of(an: Anonymizer, text: str) -> str:
    return an.text(pd.Series([text], dtype=object))[0].as_py()


def anonymizer(names: list[str]) -> Anonymizer:
    an = Anonymizer(Pseudonyms(KEY))
    an.prepare(names)
    return an


# ---- the causes fixed in the previous round -----------------------------------------------------

def test_an_invitee_list_and_name_qq_are_built_from_each_names_pseudonym():
    p = Pseudonyms(KEY)
    p.add(["张小明，李小红", "张小明", "李小红", "王大海(12345678)", "12345678"])
    assert p.of("张小明，李小红") == p.of("张小明") + "，" + p.of("李小红")
    assert p.of("王大海(12345678)") == p.of("王大海") + "(" + p.of("12345678") + ")"


def test_pseudonyms_are_one_per_name_after_the_members_normalisation():
    """"@7" is the member 7: its pseudonym normalises to 7's, never to another member's name (ten
    one-digit names leave no digit free, so a variant shaped on its own would read as one of them)."""
    p = Pseudonyms(KEY)
    values = [str(i) for i in range(10)] + ["@7"]
    p.add(values)
    norm = dict(zip(values, normalise_names(np.asarray([p.of(v) for v in values], dtype=object)), strict=True))
    assert norm["@7"] == norm["7"] == p.of("7")
    assert len({norm[str(i)] for i in range(10)}) == 10 and not set(norm.values()) & set(values)


def test_the_at_sign_goes_with_the_longer_name():
    """"@16" (a short name, replaced only after @) must not win over "16-越哥" one character later."""
    an = anonymizer(["16", "16-越哥"])
    assert text_of(an, "@16-越哥 早上好") == "@" + an.names.of("16-越哥") + " 早上好"


def test_an_emoji_name_becomes_another_emoji():
    an = anonymizer(["🌸"])
    assert an.names.of("🌸") in _emoji_pool() and an.names.of("🌸") != "🌸"
    assert classify_texts(pa.array([text_of(an, "🌸")]))["banter"].tolist() == [True]   # emoji-only stays banter


def test_a_name_whose_every_pseudonym_loses_a_flag_keeps_one_short_piece():
    """"张吗" ends a question (…吗); its pseudonym keeps 吗, never the whole name."""
    p = Pseudonyms(KEY)
    p.add(["张吗"])
    assert p.of("张吗") != "张吗" and p.of("张吗").endswith("吗")
    assert same_flags(["张吗"], [p.of("张吗")]).all()


def test_pseudonyms_are_chosen_over_all_groups_at_once(tmp_path):
    """Members named 1-5 in one group, 6-0 in another: chosen a group at a time, the first group's
    pseudonyms (digits that are no name of its own) would be the other group's names."""
    a = qq_txt(tmp_path / "a.txt", "甲群", [(f"10:00:0{i}", f"{i}(1000{i}000)", "早") for i in range(1, 6)])
    b = qq_txt(tmp_path / "b.txt", "乙群", [(f"10:00:0{i}", f"{i}(2000{i}000)", "早") for i in (6, 7, 8, 9, 0)])
    src, copy, back = copy_of(tmp_path, a, b)
    names = set(src.messages()["sender_name"].astype(str))
    assert names == set("1234567890")
    assert not set(copy.messages()["sender_name"].astype(str)) & names
    assert {back[n] for n in copy.messages()["sender_name"]} == names


def test_text_in_one_group_naming_a_member_of_another_is_replaced(tmp_path):
    a = qq_txt(tmp_path / "a.txt", "甲群", [("10:00:00", "欧阳锋(11112222)", "黄药师昨天来过吗")])
    b = qq_txt(tmp_path / "b.txt", "乙群", [("10:00:00", "黄药师(33334444)", "欧阳锋昨天来过吗")])
    _, copy, _ = copy_of(tmp_path, a, b)
    texts = "".join(copy.messages()["text"])
    assert "欧阳锋" not in texts and "黄药师" not in texts


def test_an_email_id_keeps_its_provider():
    p = Pseudonyms(KEY)
    p.add(["alice.wong@example.com"])
    local, _, domain = p.of("alice.wong@example.com").rpartition("@")
    assert domain == "example.com" and local != "alice.wong" and len(local) == len("alice.wong")


# ---- the causes fixed in this round ------------------------------------------------------------

def test_a_name_inside_a_cue_of_its_sentence_keeps_one_edge():
    """"在相册里" is an answer cue read across the name 里安: the text keeps 里, not the name."""
    an = anonymizer(["里安"])
    out = text_of(an, "资料都在相册里安好了")
    assert "里安" not in out and len(out) == len("资料都在相册里安好了")
    assert classify_texts(pa.array([out]))["answer"].tolist() == [True]
    assert out != "资料都在相册" + an.names.of("里安") + "好了"      # the plain replacement loses the cue


def test_a_name_shaped_like_a_site_keeps_its_com():
    """A member named like a domain: an e-mail in text containing it is still a contact (the ad cue)."""
    p = Pseudonyms(KEY)
    p.add(["corp.example.com"])
    assert p.of("corp.example.com").endswith(".com") and not p.of("corp.example.com").startswith("corp")
    an = anonymizer(["corp.example.com"])
    ad = "旧书20元，邮件 hr@corp.example.com"         # a price and a site: an ad
    assert classify_texts(pa.array([ad, text_of(an, ad)]))["ad"].tolist() == [True, True]


def test_a_word_of_a_url_gets_one_mask_in_every_message():
    """The reply evidence shares rare words between messages: a path word masked once per copy."""
    an = anonymizer(["nobody"])
    one = text_of(an, "看这个 https://site.example/plusfoo/d/a1b2c3")
    two = text_of(an, "还有 https://site.example/plusfoo/d/zz99")
    word = one.split("/")[3]
    assert word != "plusfoo" and two.split("/")[3] == word
    assert one.split("/")[4] == "d"                # one- and two-character path words stay (no CJK stand-in)
    assert "a1b2c3" not in one


def test_whatsapps_you_is_kept_and_thank_you_stays_a_thanks(tmp_path):
    """WhatsApp notices call the exporter "You": no name, kept; so "thank you" elsewhere keeps its ack."""
    wa = tmp_path / "WhatsApp Chat with Hiking Club.txt"
    shutil.copy(DATA / "whatsapp" / wa.name, wa)
    qq = qq_txt(tmp_path / "q.txt", "英语角", [("10:00:00", "阿May(55556666)", "thank you so much")])
    src, copy, _ = copy_of(tmp_path, wa, qq)
    assert "You" in set(src.messages()["event_target"].dropna())
    assert "You" in set(copy.messages()["event_target"].dropna())
    assert "thank you so much" in set(copy.messages()["text"])


def test_no_pseudonym_is_a_word_of_the_copied_texts():
    """A pseudonym equal to a word someone wrote ("cheers mate") would read as an address in the copy."""
    plain = Pseudonyms(KEY)
    plain.add(["Bobby"])
    word = plain.of("Bobby").lower()
    p = Pseudonyms(KEY, words=text_words(pd.DataFrame({"text": [f"thanks {word}, see you", None]})))
    p.add(["Bobby"])
    assert p.of("Bobby").lower() != word and len(p.of("Bobby")) == 5


def test_a_masked_contact_draws_no_cue_word_and_reads_alike_everywhere():
    """A WeChat id's mask once drew "jd" (a sales cue): beside 微信 it made an ad, the repair kept
    the original's first letters in that text only, so the id was spelt two ways and the rare word
    replies share between the two messages was lost (the copy's reply confidence moved)."""
    ids = ["prz2kpzbv", "kkd8cjxqm", "tab3lmnop", "qy77wxhd2"]
    texts = [f"加V了解 微信 {i}" for i in ids] + [f"需要的看过来\n微信 {i}\n不满意包退" for i in ids]
    for seed in range(40):
        an = Anonymizer(Pseudonyms(bytes([seed]) * 32))
        an.prepare(["橙子"])
        out = an.text(pd.Series(texts, dtype=object)).to_pylist()
        masks = [t.split("微信 ")[1].split("\n")[0] for t in out]
        assert masks[:4] == masks[4:], seed                       # one spelling per id in the whole copy
        assert not any(new_cues(i, m) for i, m in zip(ids, masks[:4], strict=True)), (seed, masks)
        assert same_flags(texts, out).all(), seed
