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

A process that builds the pipeline for a batch imports spaCy without its
command line first (`import_spacy`).
"""

from __future__ import annotations

import gc
import sys
from types import ModuleType
from typing import Any

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


# What spaCy's __init__ imports of its command line, for the one name `spacy.info`.
_SPACY_COMMAND_LINE = ("spacy.cli", "spacy.cli.info")


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    """`spacy.info`, its command line imported when it is first called."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


class _SpacyCommandLineLater:
    """A finder on sys.meta_path that answers for spacy.cli while spaCy is
    imported (see import_spacy): an empty package, and an `info` module
    holding a function that imports the real one when called. A loader too,
    by its two methods (importlib.abc's base classes add nothing to them)."""

    def __init__(self) -> None:
        self.stand_ins: list[ModuleType] = []

    def find_spec(self, name, path=None, target=None):
        if name not in _SPACY_COMMAND_LINE:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(name, self, is_package=name == "spacy.cli")  # type: ignore[arg-type]

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ == "spacy.cli.info":
            module.info = _spacy_info  # type: ignore[attr-defined]
        self.stand_ins.append(module)


def import_spacy() -> None:
    """Import spaCy, but not its command line until something asks for it.

    spaCy's __init__ imports spacy.cli for `spacy.info`, and spacy.cli
    imports every command (training, projects, downloads) with weasel and
    an HTTP client: 0.15 s of the 0.45 s spaCy takes to import, in a lone
    worker's start, where a one-document run waits for it. Here spacy.cli
    is an empty stand-in while spaCy imports; then the stand-in is
    forgotten, so `import spacy.cli` afterwards imports the real one, and
    `spacy.info` imports it when called. Nothing to do where spaCy is
    loaded already.
    """
    if "spacy" in sys.modules:
        return
    finder = _SpacyCommandLineLater()
    sys.meta_path.insert(0, finder)
    try:
        import spacy  # noqa: F401
    finally:
        sys.meta_path.remove(finder)
        for stand_in in finder.stand_ins:
            if sys.modules.get(stand_in.__name__) is stand_in:
                del sys.modules[stand_in.__name__]
        package = sys.modules.get("spacy")
        if package is not None and getattr(package, "cli", None) in finder.stand_ins:
            del package.cli  # the attribute the import set: `import spacy.cli` sets it again
