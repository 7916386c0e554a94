"""benchmarks/role_agreement.py: agreement with a person's reading of the members, figures only."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from role_agreement import agreement, qunkit_roles  # noqa: E402

from qunkit.store import Store  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = tmp_path_factory.mktemp("agree") / "store"
    subprocess.run([sys.executable, "-m", "qunkit", "import", str(ROOT / "samples" / "qq-group-sample.txt"),
                    "--store", str(s), "--quiet"], check=True)
    return s


def test_agreement_counts_equal_roles_and_f1_per_role():
    label = pd.Series(["joker", "joker", "asker", "lurker"])
    pred = pd.Series(["joker", "asker", "asker", "lurker"])
    a = agreement(label, pred)
    assert a["members"] == 4 and a["agree"] == 0.75
    assert a["f1"] == {"joker": 2 / 3, "asker": 2 / 3, "lurker": 1.0}
    assert a["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_script_scores_a_reading_against_the_store(store, tmp_path):
    roles = qunkit_roles(Store(store))
    assert len(roles) > 5
    labels = roles[["group_name", "member_id", "role"]].copy()
    flip = labels.index[0]
    labels.loc[flip, "role"] = "challenger" if labels.loc[flip, "role"] != "challenger" else "joker"
    f = tmp_path / "reading.csv"
    labels.to_csv(f, index=False)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "role_agreement.py"), "--store", str(store),
                          "--labels", str(f), "--split"], capture_output=True, text=True, check=True).stdout
    n = len(labels)
    assert f"all: {n} members, agree {(n - 1) / n:.1%}" in out
    assert "largest confusions (label -> qunkit): " in out and " 1" in out.splitlines()[-1]


def test_script_names_the_file_and_what_it_expected(store, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("group,member_id,role\ng,1,joker\n", encoding="utf-8")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "role_agreement.py"), "--store", str(store),
                        "--labels", str(f)], capture_output=True, text=True)
    assert r.returncode != 0 and "bad.csv: missing column(s) group_name" in r.stderr
    f.write_text("group_name,member_id,role\ng,1,clown\n", encoding="utf-8")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "role_agreement.py"), "--store", str(store),
                        "--labels", str(f)], capture_output=True, text=True)
    assert r.returncode != 0 and "unknown role(s) ['clown']" in r.stderr
