"""Every vocabulary loads and every pattern compiles (and none matches the empty string)."""

from __future__ import annotations

import pytest

from bulletin_miner import vocab
from bulletin_miner.config import RESOURCES_DIR
from bulletin_miner.errors import BulletinError

RESOURCES = sorted(p.stem for p in RESOURCES_DIR.glob("*.yml"))


@pytest.mark.parametrize("name", RESOURCES)
def test_resource_loads_and_its_patterns_compile(name):
    data = vocab.load(name)
    vocab.defines(name)
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "pattern" in value[0] and "name" in value[0]:
            assert vocab.rules(name, key)


def test_a_pattern_matching_nothing_but_the_empty_string_is_refused():
    with pytest.raises(BulletinError, match="empty string"):
        vocab.compile_pattern("(?:a)?", {}, "test")


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "r", "pattern": "a+", "near": "a", "reach": 0},
        {"name": "r", "pattern": "a+", "near": "a", "reach": "far"},
        {"name": "r", "pattern": "a+", "reach": 80},
    ],
)
def test_a_rule_reach_must_be_a_positive_number_beside_a_keyword(entry, monkeypatch):
    monkeypatch.setattr(vocab, "load", lambda resource: {"rules": [entry]})
    vocab.rules.cache_clear()
    try:
        with pytest.raises(BulletinError, match="reach"):
            vocab.rules("made_up")
    finally:
        vocab.rules.cache_clear()


@pytest.mark.parametrize("value", [0, -5, "far", True])
def test_a_pattern_reach_must_be_a_positive_number(value, monkeypatch):
    monkeypatch.setattr(vocab, "load", lambda resource: {"date_reach": value})
    vocab.reach.cache_clear()
    try:
        with pytest.raises(BulletinError, match="date_reach"):
            vocab.reach("made_up", "date_reach", 60)
    finally:
        vocab.reach.cache_clear()


def test_no_chinese_literal_in_code():
    import regex

    from bulletin_miner.config import PACKAGE_DIR

    han = regex.compile(r"\p{Han}")
    # schema.py's column descriptions are documentation (they quote the phrasings they describe)
    for path in (p for p in PACKAGE_DIR.rglob("*.py") if p.name != "schema.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#")[0]
            stripped = code.strip()
            if han.search(code) and not stripped.startswith((">>>", "...")) and '"""' not in line:
                in_doc = _inside_docstring(path, number)
                assert in_doc, f"{path.name}:{number}: Chinese literal in code; keep it in resources/*.yml"


def _inside_docstring(path, number) -> bool:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module, ast.AsyncFunctionDef)):
            doc = node.body[0] if node.body else None
            if (
                isinstance(doc, ast.Expr)
                and isinstance(getattr(doc, "value", None), ast.Constant)
                and isinstance(doc.value.value, str)
                and doc.lineno <= number <= doc.end_lineno
            ):
                return True
    return False


def _texts() -> list[str]:
    """The samples and every phrase case: what keyword tests run over."""
    import yaml
    from conftest import CASES, RAW

    from bulletin_miner.ingest import load_document

    texts = [load_document(p).normalized.text for p in sorted(RAW.glob("*"))]
    return texts + [row["text"] for p in sorted(CASES.glob("*.yml")) for row in yaml.safe_load(p.read_text(encoding="utf-8")) or []]


def _rule_resources() -> list[tuple[str, str]]:
    import yaml

    found = []
    for path in sorted(RESOURCES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if isinstance(value, list) and any(isinstance(v, dict) and "near" in v for v in value):
                found.append((path.stem, key))
    return found


@pytest.mark.parametrize("resource, key", _rule_resources())
def test_a_rule_keyword_only_narrows_where_the_rule_runs(resource, key):
    # `near` is for speed: around its keyword a rule must find all it finds in the whole text
    from bulletin_miner.stages._rules import matches

    for text in _texts():
        windowed = [(rule.name, m.span()) for rule, m in matches(resource, text, key=key)]
        # (a rule matched backwards finds its matches last first: compared in reading order)
        everywhere = [
            (rule.name, m.span()) for rule in vocab.rules(resource, key) for m in sorted(rule.pattern.finditer(text), key=lambda m: m.start())
        ]
        assert windowed == everywhere, text[:40]


def _patterns_with_keywords() -> list[tuple[str, str]]:
    import yaml

    found = []
    for path in sorted(RESOURCES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found += [(path.stem, key[: -len("_near")]) for key in data if key.endswith("_near") and key[: -len("_near")] in data]
    return found


@pytest.mark.parametrize("resource, key", _patterns_with_keywords())
def test_a_pattern_keyword_only_narrows_where_the_pattern_runs(resource, key):
    # `<key>_near` is for speed: around its words the pattern must find all it finds in the whole text
    from bulletin_miner.stages._rules import pattern_matches

    for text in _texts():
        windowed = [m.span() for m in pattern_matches(resource, key, text, 0, len(text))]
        assert windowed == [m.span() for m in vocab.pattern(resource, key).finditer(text)], text[:40]


def test_the_area_code_table_is_what_libphonenumber_says():
    # resources/area_codes.yml is written out by tools/area_codes.py; a new
    # phonenumbers release with other codes fails here: run it again
    import sys

    from bulletin_miner.config import PACKAGE_DIR

    sys.path.insert(0, str(PACKAGE_DIR.parent.parent / "tools"))
    try:
        from area_codes import area_codes
    finally:
        sys.path.pop(0)
    assert {str(k): v for k, v in vocab.table("area_codes", "area_codes").items()} == area_codes()
