from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
GOLD = ROOT / "tests" / "gold"
RAW = ROOT / "data" / "raw"


def cases(name: str) -> list:
    """Rows of a phrase corpus in tests/cases, as pytest params named by their text."""
    rows = yaml.safe_load((CASES / f"{name}.yml").read_text(encoding="utf-8"))
    return [pytest.param(row, id=row["text"][:24]) for row in rows]


@pytest.fixture(scope="session")
def sample_records():
    from bulletin_miner.api import extract_records

    records, errors = extract_records([RAW])
    assert not errors, errors
    return {Path(r.source_path).name: r for r in records}
