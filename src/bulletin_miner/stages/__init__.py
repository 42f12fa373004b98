"""The stages, one spaCy component per module, registered in one place.

Importing this package registers every factory (`bm_<stage>_v1`) and the
tokenizer; `pipelines/bulletin.cfg` decides their order.
"""

from bulletin_miner.stages import (  # noqa: F401  (imported for registration)
    agency,
    codebook,
    contacts,
    counts,
    dates,
    doctype,
    inspection,
    layout,
    metadata,
    money,
    outcomes,
    outline,
    spans,
    tokenizer,
    unit,
)
from bulletin_miner.stages.state import DocState, state

__all__ = ["DocState", "state"]
