"""The garbage collector, paused while a run starts.

Start-up makes a few hundred thousand objects that live as long as the
process (spaCy's modules and registries, pydantic's models, the patterns
compiled from resources/), and almost none of them is garbage; the
collector walks them again and again as they pile up, a tenth of the
start-up of a one-document run. `bulletin-miner extract` pauses it first;
each process resumes it once it holds what it keeps (a worker when its
pipeline is built, the driver when its writers are loaded), and freezes
that (gc.freeze), so that no later collection walks it either.

Resuming is a no-op in a process nobody paused: a program that calls the
library keeps its collector as it set it.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collection() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection() -> None:
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False
