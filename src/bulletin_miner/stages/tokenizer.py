"""One token per character, built straight from the text.

Every character boundary is a token boundary, so every extracted value is
an exact `doc.char_span(..., alignment_mode="strict")`. jieba's words
straddle values (`2024年3月21日至4月19日` gives `日至`), and spaCy's own
`char` segmenter drops whitespace into token attributes, shifting nothing
but costing 4x the time of building the Doc directly (see benchmarks/).
"""
from __future__ import annotations

import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab


class CharTokenizer:
    def __init__(self, vocab: Vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words = list(text)
        return Doc(self.vocab, words=words, spaces=[False] * len(words))

    # spaCy serialises tokenizers with the pipeline; this one has no state.
    def to_bytes(self, **_kwargs) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_kwargs) -> "CharTokenizer":
        return self

    def to_disk(self, _path, **_kwargs) -> None:
        return None

    def from_disk(self, _path, **_kwargs) -> "CharTokenizer":
        return self


@spacy.registry.tokenizers("bm.char_tokenizer.v1")
def create_char_tokenizer():
    def make(nlp):
        return CharTokenizer(nlp.vocab)

    return make
