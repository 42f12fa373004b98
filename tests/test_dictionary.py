"""The data dictionary is generated from the schemas and must not go stale."""

from __future__ import annotations

from conftest import ROOT

from bulletin_miner.schema import TABLES, data_dictionary


def test_data_dictionary_is_current():
    on_disk = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert on_disk == data_dictionary(), "docs/data_dictionary.md is stale: run `bulletin-miner dictionary`"


def test_every_column_is_described():
    for table, columns in TABLES.items():
        for column in columns:
            assert len(column.description) > 10, f"{table}.{column.name}"
