"""The repository's entrance: every link in the README and docs/ resolves,
and the pages describe what the code does now."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _local_links(page: Path) -> list[str]:
    return [target for target in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in target and not target.startswith("mailto:")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_local_link_resolves(page):
    missing = [target for target in _local_links(page) if not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to {missing}"


def test_the_readme_fits_a_screens_worth_of_reading():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 120


def test_the_readme_names_the_three_docs_pages():
    links = set(_local_links(ROOT / "README.md"))
    assert {"docs/architecture.md", "docs/formats.md", "docs/performance.md"} <= links


def test_pipeline_version_names_the_lock(tmp_path, monkeypatch):
    from bulletin_miner import config

    lock = tmp_path / "requirements.lock"
    monkeypatch.setattr(config, "LOCK_FILE", lock)
    assert config._pipeline_version() == config.RELEASE  # no lock beside the package: the release alone
    lock.write_text("spacy==3.8.18\n", encoding="utf-8")
    first = config._pipeline_version()
    lock.write_text("spacy==3.8.19\n", encoding="utf-8")
    second = config._pipeline_version()
    assert first.startswith(f"{config.RELEASE}+lock.") and second.startswith(f"{config.RELEASE}+lock.")
    assert first != second


def test_the_tables_carry_the_repositorys_lock():
    from bulletin_miner.config import PIPELINE_VERSION, RELEASE

    assert (ROOT / "requirements.lock").exists()
    assert PIPELINE_VERSION.startswith(f"{RELEASE}+lock.")
