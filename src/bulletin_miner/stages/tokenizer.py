"""The first tokenisation: the whole text as one token.

The stages read the text (`doc._.bm.text`), not tokens, so the Doc they pass
along only has to hold the text. Where tokens fall is only known at the end:
the last stage (`bm_spans_v2`) tokenises at every sentence start and every
value boundary, which is what makes each value an exact
`doc.char_span(..., alignment_mode="strict")`. A corpus run, which reads the
values from `doc._.bm`, skips that stage.

Why not one token per character: building that Doc looked up ~7,000 lexemes
per bulletin, a fifth of the whole run, for tokens nothing read. Why not one
per line: still a new lexeme per line, 0.1 ms a bulletin, for nothing. Why not
jieba's words: they straddle values (`2024年3月21日至4月19日` gives `日至`).

Each Doc gets a vocabulary of its own. Lines and values are mostly unique
strings; in the pipeline's shared vocabulary they would pile up as lexemes
for as long as the process runs, and memory would grow with the corpus.
"""

from __future__ import annotations

import itertools

import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab


def document_vocab() -> Vocab:
    """A fresh vocabulary for one Doc. It computes no lexical attributes
    (`like_num`, `shape` …): they mean little on lines and values, and
    computing them for each new lexeme cost ten times the Doc itself."""
    return Vocab()


def doc_from_boundaries(vocab: Vocab, text: str, cuts: list[int]) -> Doc:
    """A Doc of `text` whose tokens start at 0 and at each offset in `cuts`
    (sorted, unique, strictly inside the text); nothing is added between tokens."""
    ends = [0, *cuts, len(text)]
    words = [text[a:b] for a, b in itertools.pairwise(ends)] if text else []
    return Doc(vocab, words=words, spaces=[False] * len(words))


class WholeTextTokenizer:
    def __init__(self, vocab: Vocab):
        self.vocab = vocab  # the pipeline's; each Doc gets its own (see above)

    def __call__(self, text: str) -> Doc:
        return doc_from_boundaries(document_vocab(), text, [])

    # spaCy serialises tokenizers with the pipeline; this one has no state.
    def to_bytes(self, **_kwargs) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_kwargs) -> WholeTextTokenizer:
        return self

    def to_disk(self, _path, **_kwargs) -> None:
        return None

    def from_disk(self, _path, **_kwargs) -> WholeTextTokenizer:
        return self


@spacy.registry.tokenizers("bm.whole_text_tokenizer.v1")
def create_whole_text_tokenizer():
    def make(nlp):
        return WholeTextTokenizer(nlp.vocab)

    return make
