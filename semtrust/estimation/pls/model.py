"""PLS-SEM model specification: lavaan-style syntax read into constructs, blocks and paths.

Stage: model specification for the PLS estimator. ``A =~ x1 + x2`` declares a mode A
(reflective) block, ``A <~ x1 + x2`` a mode B (formative) block, ``B ~ A`` a structural path.
A construct whose indicators are other constructs is a higher-order construct, estimated
by the repeated-indicators approach (Becker, Klein & Wetzels 2012): it takes all the items
of its lower-order constructs, with paths higher → lower for ``=~`` (reflective–reflective)
and lower → higher for ``<~`` (reflective–formative).

>>> model = parse_pls_model("IMG <~ i1 + i2\\nSAT =~ s1 + s2 + s3\\nSAT ~ IMG")
>>> model.constructs, model.modes["IMG"], model.paths
(('IMG', 'SAT'), 'B', (('IMG', 'SAT'),))
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from semtrust.errors import InputError
from semtrust.model.syntax import parse_model

__all__ = ["parse_pls_model", "PLSModel"]

_FORMATIVE_LHS = re.compile(r"([^\W\d][\w.]*)\s*<~")


@dataclass(frozen=True)
class PLSModel:
    """Constructs in order, their items and modes ("A" or "B"), and paths (source, target).

    >>> model = parse_pls_model("A <~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> model.constructs, model.modes, model.paths
    (('A', 'B'), {'A': 'B', 'B': 'A'}, (('A', 'B'),))
    """

    constructs: tuple[str, ...]
    items: dict[str, tuple[str, ...]]
    modes: dict[str, str]
    paths: tuple[tuple[str, str], ...]
    higher_order: tuple[str, ...] = ()
    dimensions: dict[str, tuple[str, ...]] = field(default_factory=dict)   # higher-order → first-order

    @cached_property
    def indicators(self) -> tuple[str, ...]:
        """Distinct data columns used, in order of first use."""
        return tuple(dict.fromkeys(item for c in self.constructs for item in self.items[c]))

    @cached_property
    def slots(self) -> tuple[tuple[str, str], ...]:
        """(construct, item) pairs, block by block; a repeated indicator has one slot per block."""
        return tuple((c, item) for c in self.constructs for item in self.items[c])

    @cached_property
    def membership(self) -> np.ndarray:
        """Slots × constructs 0/1 matrix."""
        out = np.zeros((len(self.slots), len(self.constructs)))
        for row, (construct, _) in enumerate(self.slots):
            out[row, self.constructs.index(construct)] = 1.0
        return out

    @cached_property
    def path_matrix(self) -> np.ndarray:
        """Constructs × constructs, 1 at [source, target]."""
        out = np.zeros((len(self.constructs),) * 2)
        for source, target in self.paths:
            out[self.constructs.index(source), self.constructs.index(target)] = 1.0
        return out

    def predecessors(self, target: str) -> list[str]:
        return [source for source, t in self.paths if t == target]

    @property
    def endogenous(self) -> list[str]:
        return [c for c in self.constructs if self.predecessors(c)]

    @cached_property
    def causal_order(self) -> tuple[int, ...]:
        """Construct indices with every construct after its predecessors (ties in declaration order)."""
        done: list[int] = []
        while len(done) < len(self.constructs):
            for k, c in enumerate(self.constructs):
                if k not in done and all(self.constructs.index(p) in done for p in self.predecessors(c)):
                    done.append(k)
        return tuple(done)

    def saturated(self) -> "PLSModel":
        """The same constructs with a path from every construct to every later one in causal order
        (the saturated structural model of Sharma et al. 2019's Geweke–Meese criterion)."""
        order = [self.constructs[k] for k in self.causal_order]
        return replace(self, paths=tuple((a, b) for j, b in enumerate(order) for a in order[:j]))

    def block(self, construct: str) -> np.ndarray:
        """Slot indices of the construct's block."""
        return np.flatnonzero(self.membership[:, self.constructs.index(construct)])


def parse_pls_model(text: str, source: str = "<model>") -> PLSModel:
    """Read ``=~`` (mode A), ``<~`` (mode B) and ``~`` statements; raise InputError on anything else.

    >>> parse_pls_model("A <~ a1 + a2\\nB =~ b1 + b2\\nB ~ A").items
    {'A': ('a1', 'a2'), 'B': ('b1', 'b2')}
    """
    formative = set(_FORMATIVE_LHS.findall(text))
    spec = parse_model(text.replace("<~", "=~"), source)
    if spec.definitions:
        raise InputError(f"{source}: ':=' definitions are not used by PLS; indirect and total effects "
                         "are reported for every path chain")
    blocks: dict[str, list[str]] = {}
    paths: list[tuple[str, str]] = []
    for s in spec.statements:
        if s.fixed is not None or s.label is not None or s.start is not None or s.free:
            raise InputError(f"{source}, line {s.line}: modifiers such as '1*x' or 'a*x' have no meaning in PLS; "
                             f"write plain names")
        if s.op == "=~":
            blocks.setdefault(s.lhs, []).append(s.rhs)
        elif s.op == "~":
            paths.append((s.rhs, s.lhs))
        else:
            raise InputError(f"{source}, line {s.line}: '{s.op}' is not used by PLS (only =~, <~ and ~)")
    if not blocks:
        raise InputError(f"{source}: the model declares no construct (write 'A =~ x1 + x2' or 'A <~ x1 + x2')")
    higher = tuple(c for c, members in blocks.items() if any(m in blocks for m in members))
    items: dict[str, tuple[str, ...]] = {}
    for construct, members in blocks.items():
        if construct in higher:
            lower = [m for m in members if m in blocks]
            if len(lower) != len(members) or any(m in higher for m in lower):
                raise InputError(f"{source}: higher-order construct '{construct}' must be measured by "
                                 "first-order constructs only")
            items[construct] = tuple(dict.fromkeys(i for m in lower for i in blocks[m]))
            for m in lower:
                paths.append((m, construct) if construct in formative else (construct, m))
        else:
            items[construct] = tuple(dict.fromkeys(members))
    constructs = tuple(blocks)
    for source_c, target in paths:
        for name in (source_c, target):
            if name not in blocks:
                raise InputError(f"{source}: '{name}' is used in a path but has no indicators; "
                                 f"declare it with '{name} =~ item1 + item2'")
    model = PLSModel(constructs, items, {c: "B" if c in formative else "A" for c in constructs},
                     tuple(dict.fromkeys(paths)), higher, {c: tuple(blocks[c]) for c in higher})
    _check_structure(model, source)
    return model


def two_stage_models(model: PLSModel) -> tuple[PLSModel, PLSModel]:
    """The two models of the (embedded) two-stage approach (Becker, Klein & Wetzels 2012; as
    seminr): stage 1 drops each higher-order construct and connects its predecessors and
    successors to its dimensions; stage 2 measures it by its dimensions' stage-1 scores (data
    columns named after the dimensions) and drops the dimensions."""
    links = {(h, d) for h, dims in model.dimensions.items() for d in dims}
    links |= {(d, h) for h, d in links}
    structural = [p for p in model.paths if p not in links]
    first_paths = []
    for source, target in structural:
        sources = model.dimensions.get(source, (source,))
        targets = model.dimensions.get(target, (target,))
        first_paths += [(s, t) for s in sources for t in targets]
    hoc = set(model.higher_order)
    first_constructs = tuple(c for c in model.constructs if c not in hoc)
    first = replace(model, constructs=first_constructs, items={c: model.items[c] for c in first_constructs},
                    modes={c: model.modes[c] for c in first_constructs}, paths=tuple(dict.fromkeys(first_paths)),
                    higher_order=(), dimensions={})
    dims = {d for ds in model.dimensions.values() for d in ds}
    second_constructs = tuple(c for c in model.constructs if c not in dims)
    items = {c: model.dimensions.get(c, model.items[c]) for c in second_constructs}
    second = replace(model, constructs=second_constructs, items=items,
                     modes={c: model.modes[c] for c in second_constructs}, paths=tuple(structural),
                     higher_order=(), dimensions={})
    _check_structure(first, "stage 1 of the two-stage model")
    _check_structure(second, "stage 2 of the two-stage model")
    return first, second


def _check_structure(model: PLSModel, source: str) -> None:
    linked = {name for path in model.paths for name in path}
    isolated = [c for c in model.constructs if c not in linked]
    if isolated:
        raise InputError(f"{source}: construct(s) {', '.join(isolated)} take part in no path; PLS needs every "
                         "construct connected (add a '~' statement)")
    remaining = {c: set(model.predecessors(c)) for c in model.constructs}
    while remaining:
        roots = [c for c, preds in remaining.items() if not preds & remaining.keys()]
        if not roots:
            raise InputError(f"{source}: the structural model has a feedback loop among "
                             f"{', '.join(sorted(remaining))}; PLS path models must be recursive")
        for c in roots:
            del remaining[c]
