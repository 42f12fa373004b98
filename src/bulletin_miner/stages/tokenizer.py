"""The first tokenisation: one token per line, each line break a token of its own.

The stages read the text (`doc._.bm.text`), not tokens, so the Doc they pass
along only has to hold the text. The last stage (`bm_spans_v2`) re-tokenises
at every sentence start and every value boundary, which is what makes each
value an exact `doc.char_span(..., alignment_mode="strict")`.

Why not one token per character: building that Doc looked up ~7,000 lexemes
per bulletin, a fifth of the whole run, for tokens nothing read. Why not
jieba's words: they straddle values (`2024年3月21日至4月19日` gives `日至`).

Each Doc gets a vocabulary of its own. Lines and values are mostly unique
strings; in the pipeline's shared vocabulary they would pile up as lexemes
for as long as the process runs, and memory would grow with the corpus.
"""
from __future__ import annotations

import regex
import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab

_LINE_PIECE = regex.compile(r"[^\n]+|\n")


def document_vocab() -> Vocab:
    """A fresh vocabulary for one Doc. It computes no lexical attributes
    (`like_num`, `shape` …): they mean little on lines and values, and
    computing them for each new lexeme cost ten times the Doc itself."""
    return Vocab()


def doc_from_boundaries(vocab: Vocab, text: str, cuts: list[int]) -> Doc:
    """A Doc of `text` whose tokens start at 0 and at each offset in `cuts`
    (sorted, unique, strictly inside the text); nothing is added between tokens."""
    ends = [0, *cuts, len(text)]
    words = [text[a:b] for a, b in zip(ends, ends[1:])] if text else []
    return Doc(vocab, words=words, spaces=[False] * len(words))


class LineTokenizer:
    def __init__(self, vocab: Vocab):
        self.vocab = vocab  # the pipeline's; each Doc gets its own (see above)

    def __call__(self, text: str) -> Doc:
        words = _LINE_PIECE.findall(text)
        return Doc(document_vocab(), words=words, spaces=[False] * len(words))

    # spaCy serialises tokenizers with the pipeline; this one has no state.
    def to_bytes(self, **_kwargs) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_kwargs) -> "LineTokenizer":
        return self

    def to_disk(self, _path, **_kwargs) -> None:
        return None

    def from_disk(self, _path, **_kwargs) -> "LineTokenizer":
        return self


@spacy.registry.tokenizers("bm.line_tokenizer.v1")
def create_line_tokenizer():
    def make(nlp):
        return LineTokenizer(nlp.vocab)

    return make
