"""Bytes in, normalised text out: decoding, web-page text, normalisation.

`load_document(path)` is the stage's entry point; it raises BulletinError
with a coded kind for anything it cannot read.
"""
from bulletin_miner.ingest.source import SourceDocument, load_document, read_bytes, source_from_bytes

__all__ = ["SourceDocument", "load_document", "read_bytes", "source_from_bytes"]
