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

Some libraries import, as they load, modules they do not need for what
we ask of them, at a cost each process pays at start-up: those are
imported with stand-ins for such modules (`import_with_stand_ins`): spaCy
without its command line (`import_spacy`, before a batch builds the
pipeline), cpca without pkg_resources (normalize/region.py).
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Callable, Mapping
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


class _StandIns:
    """A finder on sys.meta_path that answers for some modules with stand-ins
    while a library imports (see import_with_stand_ins): each made by its
    function from an empty module (a package if another stand-in is inside
    it). A loader too, by its two methods (importlib.abc's base classes add
    nothing to them, and importing importlib.abc costs 5 ms)."""

    def __init__(self, stand_ins: Mapping[str, Callable[[ModuleType], None]]) -> None:
        self.stand_ins = stand_ins
        self.made: list[ModuleType] = []

    def find_spec(self, name, path=None, target=None):
        if name not in self.stand_ins:
            return None
        from importlib.machinery import ModuleSpec

        package = any(other.startswith(name + ".") for other in self.stand_ins)
        return ModuleSpec(name, self, is_package=package)  # type: ignore[arg-type]

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        self.stand_ins[module.__name__](module)
        self.made.append(module)


def import_with_stand_ins(library: str, stand_ins: Mapping[str, Callable[[ModuleType], None]]) -> ModuleType:
    """Import `library` with stand-ins for modules it imports but does not
    need (by name: the function that fills each), then forget them: a later
    import of one of those modules imports the real one. A library loaded
    already is returned as it is."""
    if library in sys.modules:
        return sys.modules[library]
    finder = _StandIns(stand_ins)
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(library)
    finally:
        sys.meta_path.remove(finder)
        for stand_in in finder.made:
            if sys.modules.get(stand_in.__name__) is stand_in:
                del sys.modules[stand_in.__name__]
            parent, _, name = stand_in.__name__.rpartition(".")
            package = sys.modules.get(parent)
            if package is not None and getattr(package, name, None) is stand_in:
                delattr(package, name)  # the attribute the import set
                _import_on_access(package, name)


def _import_on_access(package: ModuleType, name: str) -> None:
    """`package.name`, a submodule whose stand-in was forgotten, imported
    when it is first asked for: code that reaches it as an attribute of
    its package (`spacy.cli.download` after `import spacy`) finds it as it
    would have. The import sets the attribute, so this runs once."""
    earlier = package.__dict__.get("__getattr__")

    def __getattr__(attribute: str) -> Any:
        if attribute == name:
            return importlib.import_module(f"{package.__name__}.{name}")
        if earlier is not None:
            return earlier(attribute)
        raise AttributeError(f"module {package.__name__!r} has no attribute {attribute!r}")

    package.__getattr__ = __getattr__  # type: ignore[method-assign]


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    """`spacy.info`, its command line imported when it is first called."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def import_spacy() -> None:
    """Import spaCy, but not its command line until something asks for it.

    spaCy's __init__ imports spacy.cli for `spacy.info`, and spacy.cli
    imports every command (training, projects, downloads) with weasel and
    an HTTP client: 0.15 s of the 0.45 s spaCy takes to import, in a lone
    worker's start, where a one-document run waits for it. Here spacy.cli
    is an empty stand-in while spaCy imports, and `spacy.info` imports the
    real one when called.
    """
    import_with_stand_ins("spacy", {"spacy.cli": lambda cli: None, "spacy.cli.info": lambda info: setattr(info, "info", _spacy_info)})
