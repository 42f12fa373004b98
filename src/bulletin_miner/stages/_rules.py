"""Running a resource's named rules over a region of the text, as facts."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator

import regex

from bulletin_miner import vocab
from bulletin_miner.normalize.money import percent_to_fraction
from bulletin_miner.normalize.numerals import parse_int
from bulletin_miner.records import Fact, Status
from bulletin_miner.schema import FIELDS_BY_NAME, FLOAT, INT

Parser = Callable[[str, str], object]


def parse_field_value(field: str, text: str) -> object:
    """A matched text as the value its document column holds (None if it is not one)."""
    column = FIELDS_BY_NAME.get(field)
    if column is None:
        return text.strip() or None
    if column.type == INT:
        return parse_int(text)
    if column.type == FLOAT:
        return percent_to_fraction(text)
    return text.strip() or None


# How far around its keyword a rule's match may reach (every rule is shorter).
NEAR_WINDOW = 60
_NUMERAL_CHARS = frozenset(str(vocab.load("lexicon")["numeral_chars"]))


def keyword_windows(text: str, near, start: int, end: int, reach: int = NEAR_WINDOW) -> list[tuple[int, int]]:
    """Merged windows around each match of `near`, widened so no number is cut in two.

    >>> import regex
    >>> keyword_windows("甲" * 100 + "问题" + "乙" * 100, regex.compile("问题"), 0, 202)
    [(40, 162)]
    """
    return windows_around(text, [m.span() for m in near.finditer(text, start, end)], start, end, reach)


def word_windows(text: str, words: tuple[str, ...], start: int, end: int, reach: int = NEAR_WINDOW) -> list[tuple[int, int]]:
    """keyword_windows for plain words, found by the document's one keyword scan (DocumentWords)."""
    return windows_around(text, _DOCUMENT_WORDS.hits(text, words, start, end), start, end, reach)


def windows_around(text: str, hits: Iterable[tuple[int, int]], start: int, end: int, reach: int = NEAR_WINDOW) -> list[tuple[int, int]]:
    """Merged windows around each (start, end) in `hits` (in order), widened so no number is cut in two.

    >>> windows_around("12345甲乙丙丁戊678", [(5, 6), (9, 10)], 0, 13, reach=1)
    [(0, 7), (8, 13)]
    """
    # Merging first and widening what is left gives the same windows (widening
    # only runs over numerals, and merging again joins what it brings together)
    # for one step per hit instead of five: a frequent keyword has hundreds.
    merged: list[list[int]] = []
    for kw_start, kw_end in hits:
        if merged and kw_start - reach <= merged[-1][1]:
            if kw_end + reach > merged[-1][1]:
                merged[-1][1] = kw_end + reach
        else:
            merged.append([kw_start - reach, kw_end + reach])
    windows: list[tuple[int, int]] = []
    for s, e in merged:
        s, e = max(start, s), min(end, e)
        while s > start and text[s - 1] in _NUMERAL_CHARS:
            s -= 1
        while e < end and text[e] in _NUMERAL_CHARS:
            e += 1
        if windows and s <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], e))
        else:
            windows.append((s, e))
    return windows


class WordFinder:
    """Every occurrence of each of many words, found in one scan of the text.

    The keywords of the rules are plain words; one scan for all of them costs
    what one scan for one of them did. A scan steps over a word that starts
    inside another it found (完成 in 完成率): those are checked where they can
    be, so every occurrence of every word is reported.

    >>> found = WordFinder(["完成", "完成率", "率占"]).occurrences("已完成率占", 0, 5)
    >>> found["完成"], found["完成率"], found["率占"]
    ([(1, 3)], [(1, 4)], [(3, 5)])
    """

    def __init__(self, words: Iterable[str]):
        self.word_set = frozenset(words)
        self.words = sorted(self.word_set, key=lambda w: (-len(w), w))  # longest first, as the scan prefers
        # stdlib re: 3x faster than regex on literals; as a trie, a third faster again
        self._scan = re.compile(trie_pattern(self.words))
        # (offset, word) that could start inside each word, consistent with its
        # characters; only words starting with the character at that offset can
        # (looked up by it: over every pair, the vocabularies took 60 ms a start-up)
        starting: dict[str, list[str]] = {}
        for v in self.words:
            starting.setdefault(v[0], []).append(v)
        self._inside = {
            w: [(k, v) for k in range(len(w)) for v in starting.get(w[k], ()) if (k, v) != (0, w) and w[k : k + len(v)] == v[: len(w) - k]]
            for w in self.words
        }

    def occurrences(self, text: str, start: int, end: int) -> dict[str, list[tuple[int, int]]]:
        """(start, end) of each word's occurrences in text[start:end], in order."""
        found: dict[str, list[tuple[int, int]]] = {w: [] for w in self.words}
        for word, s, e in self.hits(text, start, end):
            found[word].append((s, e))
        return found

    def hits(self, text: str, start: int, end: int) -> list[tuple[str, int, int]]:
        """Every occurrence in text[start:end] as (word, start, end), for a
        short span (a title, a measure's sentence), where a table of every
        word would cost more than the scan.

        >>> WordFinder(["完成", "完成率"]).hits("已完成率", 0, 4)
        [('完成率', 1, 4), ('完成', 1, 3)]
        """
        out = []
        inside = self._inside
        for m in self._scan.finditer(text, start, end):
            word = m.group()
            out.append((word, m.start(), m.end()))
            if inside[word]:  # most words hold no other
                pos = m.start()
                for k, other in inside[word]:
                    if pos + k + len(other) <= end and text.startswith(other, pos + k):
                        out.append((other, pos + k, pos + k + len(other)))
        return out


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression for any of `words`, their common prefixes factored
    out; at any position it matches the longest word there, as an alternation
    of the words longest first does, but tries each character once.

    >>> trie_pattern(["整改", "整改完成", "整治", "完成"])
    '(?:完成|整(?:改(?:完成)?|治))'
    """
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        if "" in node:  # a word may end here: the longer ones first (greedy), then this one
            return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"
        return body

    return pattern(root) or "(?!)"  # no words: a pattern that matches nothing


class DocumentWords:
    """Every occurrence of every keyword any rule or pattern asks for, found in
    one scan of each document and shared by all the stages.

    Each stage scanned the text for its own keywords (six scans of every
    document); one scan for all of them costs less than two did. The words
    are those asked for so far: a request for one not yet among them widens
    the set and scans again (only in the first document). The last scan is
    kept as one tuple, read and replaced whole, so threads running documents
    side by side never read one document's words for another's.
    """

    def __init__(self) -> None:
        self.finder = WordFinder(())
        # (text, the finder that scanned it, its words' spans, their starts by
        # word): the text is held, so `is` is a safe test
        self.scan: tuple[str, WordFinder, dict[str, list[tuple[int, int]]], dict[str, list[int]]] | None = None

    def hits(self, text: str, words: tuple[str, ...], start: int, end: int) -> list[tuple[int, int]]:
        """(start, end) of each occurrence of any of `words` wholly in text[start:end], in order."""
        finder = self.finder
        if not finder.word_set.issuperset(words):
            finder = self.finder = WordFinder(finder.word_set | set(words))
        scan = self.scan
        if scan is None or scan[0] is not text or scan[1] is not finder:
            scan = self.scan = (text, finder, finder.occurrences(text, 0, len(text)), {})
        _, _, found_by_word, starts_by_word = scan
        spans: list[tuple[int, int]] = []
        for word in words:
            found = found_by_word[word]
            if not found:
                continue
            starts = starts_by_word.get(word)
            if starts is None:
                starts = starts_by_word[word] = [s for s, _ in found]
            spans += found[bisect.bisect_left(starts, start) : bisect.bisect_right(starts, end - len(word))]
        return sorted(spans) if len(words) > 1 else spans


_DOCUMENT_WORDS = DocumentWords()


def finditer_near(pattern, words: tuple[str, ...], text: str, start: int, end: int, reach: int = NEAR_WINDOW) -> Iterator:
    """Matches of `pattern` in text[start:end], looked for only within `reach`
    of `words` (which every match holds): what a scan of the whole span finds, faster."""
    for s, e in word_windows(text, words, start, end, reach):
        yield from pattern.finditer(text, s, e)


def pattern_matches(resource: str, key: str, text: str, start: int, end: int) -> Iterator:
    """Matches of the pattern under `key` in text[start:end]; looked for only
    around its `<key>_near` words when the resource names some (within
    `<key>_reach` characters of them, NEAR_WINDOW by default)."""
    pattern = vocab.pattern(resource, key)
    if f"{key}_near" not in vocab.load(resource):
        return pattern.finditer(text, start, end)
    return finditer_near(pattern, vocab.words(resource, f"{key}_near"), text, start, end, vocab.reach(resource, f"{key}_reach", NEAR_WINDOW))


def matches(resource: str, text: str, start: int = 0, end: int | None = None, key: str = "rules") -> Iterator[tuple[vocab.Rule, regex.Match]]:
    """Every match of every rule, in rule order (a rule with a keyword only near it)."""
    end = len(text) if end is None else end
    windows: dict[tuple[str, int], list[tuple[int, int]]] = {}  # rules that share a keyword share its windows
    for rule in vocab.rules(resource, key):
        if rule.near is None:
            regions = [(start, end)]
        else:
            reach = rule.reach or NEAR_WINDOW
            shared = windows.get((rule.near.pattern, reach))
            if shared is None:
                words = rule.near_words
                if words is None:
                    shared = keyword_windows(text, rule.near, start, end, reach)
                else:
                    shared = word_windows(text, words, start, end, reach)
                windows[(rule.near.pattern, reach)] = shared
            regions = shared
        backwards = bool(rule.pattern.flags & regex.REVERSE)
        for s, e in regions:
            found = rule.pattern.finditer(text, s, e)
            for match in reversed(list(found)) if backwards else found:  # in reading order either way
                yield rule, match


def rule_facts(
    resource: str,
    text: str,
    stage: str,
    regions: Iterable[tuple[int, int]] | None = None,
    key: str = "rules",
    parse: Parser = parse_field_value,
) -> list[Fact]:
    """Facts from each named group of each match (a group's name is its field)."""
    facts: list[Fact] = []
    seen: set[tuple[str, int, int]] = set()
    for start, end in regions or [(0, len(text))]:
        for rule, match in matches(resource, text, start, end, key):
            for name in rule.fields:
                for s, e in match.spans(name):
                    if s < 0 or (name, s, e) in seen:
                        continue
                    value = parse(name, text[s:e])
                    if value is None:
                        continue
                    seen.add((name, s, e))
                    facts.append(Fact(name, value, s, e, text[s:e], stage, rule.name))
            for implied, group in rule.implies:
                s, e = match.span(group)
                value = parse(implied, text[s:e])
                if s >= 0 and value is not None and (implied, s, e) not in seen:
                    seen.add((implied, s, e))
                    facts.append(Fact(implied, value, s, e, text[s:e], stage, f"{rule.name}:implied", Status.INFERRED))
    return facts


def parts_left_out(text: str, facts: list[Fact]) -> tuple[list[Fact], list[str]]:
    """The facts less those that list parts of an earlier value of their field
    (after 其中, in its sentence, up to a semicolon), and a warning for each.

    >>> text = "建立完善制度10项,其中新制定制度6项、修订制度4项。制定制度3项。"
    >>> fact = lambda s, e: Fact("rules_established", int(text[s:e]), s, e, text[s:e], "st", "r")
    >>> kept, warnings = parts_left_out(text, [fact(6, 8), fact(17, 18), fact(24, 25), fact(31, 32)])
    >>> [f.value for f in kept], len(warnings)
    ([10, 3], 2)
    """
    of_which, stop = vocab.pattern("lexicon", "of_which"), vocab.pattern("lexicon", "of_which_stop")
    parts: set[int] = set()  # indexes into facts, which stay in their order
    warnings: list[str] = []
    last: dict[str, Fact] = {}
    for i, fact in sorted(enumerate(facts), key=lambda item: item[1].start):
        earlier = last.get(fact.field)
        marker = of_which.search(text, earlier.end, fact.start) if earlier is not None else None
        if earlier is not None and marker and not stop.search(text, earlier.end, fact.start):
            warnings.append(
                f"{fact.field}: {fact.text} at char {fact.start} follows {marker.group()} after {earlier.text} at char {earlier.start}: a part of it, not a mention of its own"
            )
            parts.add(i)
        else:
            last[fact.field] = fact
    return [f for i, f in enumerate(facts) if i not in parts], warnings


def one_units_figures_left_out(text: str, facts: list[Fact], sentence_of: Callable[[int], tuple[int, int]]) -> tuple[list[Fact], list[str]]:
    """A round's report less the figures of sentences about one of its units,
    and a warning for each.

    >>> text = "本轮共完成整改问题588个。省财政厅党组将反馈的24个具体问题细化为199项措施。"
    >>> fact = lambda s, e: Fact("issues_total", int(text[s:e]), s, e, text[s:e], "st", "r")
    >>> sentence = lambda pos: (0, 14) if pos < 14 else (14, len(text))
    >>> kept, warnings = one_units_figures_left_out(text, [fact(9, 12), fact(24, 26)], sentence)
    >>> [f.value for f in kept], len(warnings)
    ([588], 1)
    """
    one_unit = vocab.pattern("lexicon", "one_unit_named")
    kept, warnings = [], []
    for fact in facts:
        start, end = sentence_of(fact.start)
        named = one_unit.search(text, start, end)
        if named is None:
            kept.append(fact)
        else:
            warnings.append(
                f"{fact.field}: {fact.text} at char {fact.start} is in a sentence about one unit ({named.group()}), not the round's; left out"
            )
    return kept, warnings


def body_rules_component(resource: str, stage: str) -> Callable:
    """A stage that is nothing but a resource's rules run over the body (after
    the header); values listed as parts of another (其中…) are left out."""
    from bulletin_miner.stages.state import state

    def component(doc):
        st = state(doc)
        facts, warnings = parts_left_out(st.text, rule_facts(resource, st.text, stage, [(st.header_end, len(st.text))]))
        if st.doc_type == "round_summary":
            facts, more = one_units_figures_left_out(st.text, facts, st.sentence_span)
            warnings += more
        st.warnings.extend(warnings)
        for fact in facts:
            st.add(doc, fact)
        return doc

    component.__name__ = resource
    component.__doc__ = f"Facts from the rules of resources/{resource}.yml over the body."
    return component
