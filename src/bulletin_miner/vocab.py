"""Loading vocabularies and patterns kept as data in `resources/*.yml`.

A resource may declare `define:` fragments that its patterns use as
`<<name>>`. Every pattern is compiled and checked when loaded: an empty
group or a pattern that matches the empty string fails loudly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import regex
import yaml

from bulletin_miner.config import RESOURCES_DIR
from bulletin_miner.errors import BulletinError, ErrorKind

_PLACEHOLDER = regex.compile(r"<<(\w+)>>")


@dataclass(frozen=True)
class Rule:
    """A named pattern; its named groups are the fields it fills."""

    name: str
    pattern: regex.Pattern
    note: str = ""
    # fields a match also states, read from one of its groups (marked inferred):
    # `已全部整改完成` after `12个问题` makes 12 the completed count too
    implies: tuple[tuple[str, str], ...] = ()
    # a word every match contains: the rule then runs only in windows around
    # where that word occurs (a literal search is ~10x cheaper than the rule)
    near: regex.Pattern | None = None
    # how far from its keyword a match may reach (None: stages/_rules.NEAR_WINDOW)
    reach: int | None = None

    @property
    def near_words(self) -> tuple[str, ...] | None:
        """The keyword's alternatives when it is plain words (`完成|销号`): a
        resource's are then all found in one literal scan (stages/_rules.py)."""
        return literal_words(self.near.pattern) if self.near is not None else None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.pattern.groupindex)


_METACHARACTERS = regex.compile(r"[\\.^$*+?{}\[\]()]")


@functools.cache
def literal_words(source: str) -> tuple[str, ...] | None:
    """The words of an alternation of plain words, or None if it has any regex syntax.

    >>> literal_words("完成|整改到位|销号"), literal_words("[日号]")
    (('完成', '整改到位', '销号'), None)
    """
    words = tuple(source.split("|"))
    if _METACHARACTERS.search(source) or not all(words):
        return None
    return words


def _bad(resource: str, message: str) -> BulletinError:
    return BulletinError(ErrorKind.RESOURCE, message, path=f"resources/{resource}.yml", stage="load")


def expand(template: str, defines: dict[str, str], resource: str = "?") -> str:
    """Substitute `<<name>>` fragments (recursively).

    >>> expand("<<n>>个问题", {"n": "[0-9]+"})
    '[0-9]+个问题'
    """
    for _ in range(10):
        if "<<" not in template:
            return template
        try:
            template = _PLACEHOLDER.sub(lambda m: defines[m.group(1)], template)
        except KeyError as missing:
            raise _bad(resource, f"pattern uses undefined fragment {missing}") from None
    raise _bad(resource, "fragments nest too deep")


def compile_pattern(template: str, defines: dict[str, str], resource: str = "?") -> regex.Pattern:
    source = expand(template, defines, resource)
    try:
        pattern = regex.compile(source, regex.MULTILINE)
    except regex.error as err:
        raise _bad(resource, f"pattern {template!r} does not compile: {err}") from None
    if pattern.match("") is not None:
        raise _bad(resource, f"pattern {template!r} matches the empty string")
    return pattern


def alternation(words: list[str] | str, resource: str = "?") -> str:
    """A vocabulary group as one regex alternation (longest first)."""
    if isinstance(words, str):
        words = list(words.split("|"))
    words = [w.strip() for w in words if w and w.strip()]
    if not words:
        raise _bad(resource, "a vocabulary group is empty")
    return "(?:" + "|".join(sorted(set(words), key=len, reverse=True)) + ")"


# libyaml's safe loader where PyYAML was built with it: the resources load
# in a tenth of the pure-Python loader's time, a part of every start-up.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def load(resource: str) -> dict[str, Any]:
    """The raw content of `resources/<resource>.yml`."""
    path = RESOURCES_DIR / f"{resource}.yml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as err:
        raise _bad(resource, f"cannot be read: {err}") from None
    if not isinstance(data, dict):
        raise _bad(resource, "must be a mapping")
    return data


def defines(resource: str) -> dict[str, str]:
    data = load(resource)
    out: dict[str, str] = {}
    for name, value in (data.get("define") or {}).items():
        out[name] = alternation(value, resource) if isinstance(value, list) else str(value)
    # fragments may use each other
    return {name: expand(value, out, resource) for name, value in out.items()}


@functools.cache
def rules(resource: str, key: str = "rules") -> tuple[Rule, ...]:
    """The ordered, named rules of a resource."""
    data = load(resource)
    entries = data.get(key)
    if not entries:
        raise _bad(resource, f"has no `{key}`")
    fragments = defines(resource)
    out = []
    for entry in entries:
        if "name" not in entry or "pattern" not in entry:
            raise _bad(resource, f"a rule in `{key}` lacks a name or a pattern: {entry}")
        pattern = compile_pattern(entry["pattern"], fragments, resource)
        if entry.get("backwards"):
            # matched right to left from what every match ends with (召开): a rule
            # whose long optional opening would be tried at every position
            pattern = regex.compile(pattern.pattern, pattern.flags | regex.REVERSE)
        implies = tuple((str(k), str(v)) for k, v in (entry.get("implies") or {}).items())
        for _, group in implies:
            if group not in pattern.groupindex:
                raise _bad(resource, f"rule {entry['name']} implies from a group it does not have: {group}")
        near = compile_pattern(entry["near"], fragments, resource) if entry.get("near") else None
        reach = entry.get("reach")
        if reach is not None and (not _is_reach(reach) or near is None):
            raise _bad(resource, f"rule {entry['name']}: `reach` must be a positive whole number, beside a `near`")
        out.append(Rule(entry["name"], pattern, entry.get("note", ""), implies, near, reach))
    return tuple(out)


@functools.cache
def pattern(resource: str, key: str) -> regex.Pattern:
    """One pattern (a string, or a list of alternatives) under `key`."""
    value = load(resource).get(key)
    if value is None:
        raise _bad(resource, f"has no `{key}`")
    source = alternation(value, resource) if isinstance(value, list) else str(value)
    return compile_pattern(source, defines(resource), resource)


@functools.cache
def patterns(resource: str, key: str) -> tuple[regex.Pattern, ...]:
    """Each entry of a list under `key` as its own pattern."""
    value = load(resource).get(key)
    if not isinstance(value, list) or not value:
        raise _bad(resource, f"`{key}` must be a non-empty list")
    fragments = defines(resource)
    return tuple(compile_pattern(str(v), fragments, resource) for v in value)


@functools.cache
def words(resource: str, key: str) -> tuple[str, ...]:
    """Plain words under `key`, for literal search: a list (each item taken as
    written, `.` included) or `完成|销号` (words without regex syntax)."""
    value = load(resource).get(key)
    found: tuple[str, ...] | None
    if isinstance(value, list):
        found = tuple(str(v) for v in value if str(v))
    else:
        found = literal_words(str(value)) if value else None
    if not found:
        raise _bad(resource, f"`{key}` must be plain words: a list, or words separated by |")
    return found


@functools.cache
def reach(resource: str, key: str, default: int) -> int:
    """How far from its keyword a pattern's match may run (`default` when unset)."""
    value = load(resource).get(key, default)
    if not _is_reach(value):
        raise _bad(resource, f"`{key}` must be a positive whole number")
    return value


def _is_reach(value: Any) -> bool:
    """A reach is a positive whole number of characters (YAML's `true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def table(resource: str, key: str) -> dict[str, Any]:
    value = load(resource).get(key)
    if not isinstance(value, dict) or not value:
        raise _bad(resource, f"`{key}` must be a non-empty mapping")
    return value
