"""jieba tokenizers started from qunkit's own cache of the prefix dictionary (``analysis.segmenter``)."""

from __future__ import annotations

import stat
from pathlib import Path

import jieba
import pytest

from qunkit.analysis import segmenter

TEXT = "群规说不能发广告，管理员自己都不遵守群规，说好的每周分享呢？明天晚上7点半腾讯会议"


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def test_the_cached_dictionary_is_jiebas_and_cuts_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           reference: jieba.Tokenizer) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = segmenter.tokenizer()                    # builds through jieba, then keeps the dictionary
    (cached,) = (tmp_path / "qunkit").glob("jieba-*.npz")
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "qunkit").stat().st_mode) == 0o700

    def no_jieba_start(*_: object) -> None:
        raise AssertionError("the cached dictionary should have been read")

    monkeypatch.setattr(jieba.Tokenizer, "initialize", no_jieba_start)
    second = segmenter.tokenizer()
    assert second.FREQ == reference.FREQ and second.total == reference.total
    assert second.lcut(TEXT, HMM=False) == first.lcut(TEXT, HMM=False) == reference.lcut(TEXT, HMM=False)
    second.add_word("每周分享")                      # a private tokenizer: the next one does not know the word
    assert "每周分享" not in segmenter.tokenizer().FREQ


def test_a_damaged_or_unwritable_cache_falls_back_to_jieba(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           reference: jieba.Tokenizer) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    segmenter.tokenizer()
    (cached,) = (tmp_path / "qunkit").glob("jieba-*.npz")
    cached.write_bytes(b"not an npz file")
    assert segmenter.tokenizer().lcut(TEXT, HMM=False) == reference.lcut(TEXT, HMM=False)
    assert segmenter._read(cached) is not None       # rebuilt
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert segmenter.tokenizer().lcut(TEXT, HMM=False) == reference.lcut(TEXT, HMM=False)
