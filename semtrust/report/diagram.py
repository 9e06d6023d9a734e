"""Figure 1: the structural model as a path diagram, drawn from the results dictionary.

:func:`layout` puts the variables in columns (drivers → trust → mediators → outcomes, or by
longest path when constructs have no roles), orders each column to reduce crossings, routes
every path as a smooth curve and places its standardized coefficient. :func:`to_svg` and
:func:`to_tikz` only translate that geometry, so the HTML and the LaTeX figure are one picture.

>>> results = {"constructs": {"m": {"name": {"zh": "m", "en": "m"}, "role": None}},
...            "r2": {"m": 0.25, "y": 0.4},
...            "paths": [{"lhs": "m", "rhs": "x", "std_all": 0.5, "pvalue": 1e-6},
...                      {"lhs": "y", "rhs": "m", "std_all": -0.31, "pvalue": 0.004},
...                      {"lhs": "y", "rhs": "x", "std_all": 0.04, "pvalue": 0.41}]}
>>> figure = layout(results)
>>> [(node.id, node.layer, node.latent) for node in figure.nodes]
[('m', 1, True), ('x', 0, False), ('y', 2, False)]
>>> [(edge.source, edge.target, edge.label, edge.dashed) for edge in figure.edges]
[('x', 'm', '.50***', False), ('m', 'y', '−.31**', False), ('x', 'y', '.04', True)]
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from semtrust.report.format import apa, stars, tex_escape
from semtrust.structural.paths import ALPHA

__all__ = ["layout", "to_svg", "to_tikz", "label_size"]

Point = tuple[float, float]

# Column order of the instrument roles; both frameworks (trust mechanism, S-O-R) share it.
ROLE_RANK = {"driver": 0, "stimulus": 0, "trust": 1, "organism": 1, "mediator": 2, "outcome": 3, "response": 3}
FONT_FAMILY = ('"Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", '
               '"PingFang SC", "Helvetica Neue", Arial, sans-serif')
# Cairo (the PNG and PDF copies of a figure) sets all of a text in the first family it finds, with no
# fallback per character: a figure with Chinese text needs a CJK family first, or it shows boxes
CJK_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Microsoft YaHei", SimSun, sans-serif'


def cairo_fonts(svg: str) -> str:
    """``svg`` with :data:`CJK_FONT_FAMILY` in place of :data:`FONT_FAMILY` when it has Chinese text.

    >>> CJK_FONT_FAMILY in cairo_fonts(f"<svg font-family='{FONT_FAMILY}'><text>信任</text></svg>")
    True
    """
    return svg.replace(FONT_FAMILY, CJK_FONT_FAMILY) if any(ord(ch) > 0x2E80 for ch in svg) else svg

# Geometry in px (SVG user units; TikZ draws 1 px as 0.75 pt, the CSS ratio).
NAME_SIZE, SUB_SIZE, LABEL_SIZE = 14.0, 12.5, 12.0
LINE_HEIGHT = 1.3          # baseline-to-baseline distance in font sizes
PAD_X, PAD_Y = 12.0, 8.0   # inside a node box
ROW_GAP = 30.0             # between boxes of the fullest column
WRAP_WIDTH = 140.0         # longer names take two lines
COLUMN_GAP = 160.0         # between columns: room for the curves and their labels
MARGIN = 6.0
WAYPOINT_SLOT = 0.5        # room a path skipping a column takes there, in box slots
CORNER = 14.0              # rounded corners mark latent constructs; observed variables are square
PORT_SPACING = 11.0        # between the ends of several arrows on one side of a box
LABEL_PAD = (4.0, 2.0)
CLEARANCE = 14.0           # wanted between a label and other paths
# where labels may sit along a curve, best first: the middle, then alternately either side
SPOTS = sorted((k / 20 for k in range(2, 19)), key=lambda t: (abs(t - 0.5), t))
LABEL_GAP = 6.0            # wanted between a label and other labels or boxes


@dataclass(frozen=True)
class Node:
    """A variable's box: centre ``x``, ``y`` and size in px, names by language, R² if endogenous."""
    id: str
    name: dict
    r2: float | None
    latent: bool
    layer: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Edge:
    """A regression path ``source -> target``.

    ``curve`` is a start point followed by (control, control, end) triples of cubic Bézier
    segments, ending at the target's box; ``label_at`` is the centre of the coefficient label.
    """
    source: str
    target: str
    label: str
    dashed: bool
    curve: tuple[Point, ...]
    label_at: Point


@dataclass(frozen=True)
class Layout:
    """The whole figure: boxes in instrument order, paths in results order, canvas size in px."""
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float


@dataclass(frozen=True)
class Line:
    """One text line of a node box: ``dy`` is its baseline relative to the box centre."""
    text: str
    size: float
    style: str        # name | sub | r2
    dy: float


def layout(results: dict) -> Layout:
    """Place the structural model of a results dictionary (``StudyResult.to_dict()``).

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> figure = layout(study.to_dict())
    >>> [node.id for node in figure.nodes], [(e.source, e.target) for e in figure.edges]
    (['X', 'Y'], [('X', 'Y')])
    """
    constructs = results.get("constructs") or {}
    paths = results["paths"]
    ids = _variables(constructs, paths)
    links = [(p["rhs"], p["lhs"]) for p in paths]
    layer = _layers(ids, links, {v: (constructs.get(v) or {}).get("role") for v in ids})
    columns, chains = _columns(ids, links, layer)
    columns = _order(columns, chains)
    r2 = results.get("r2") or {}
    names = {v: dict(constructs[v]["name"]) if v in constructs else {"en": v, "zh": v} for v in ids}
    size = {v: _box_size(v, names[v], r2.get(v)) for v in ids}
    widths = [max(size[v][0] for v in col if v in size) for col in columns]   # waypoints take no room
    height = max(h for _, h in size.values())
    total_height = max(map(_slots, columns)) * (height + ROW_GAP)
    lefts = [MARGIN + sum(widths[:i]) + COLUMN_GAP * i for i in range(len(columns))]
    position = _positions(columns)
    centre = {v: (lefts[i] + widths[i] / 2, MARGIN + position[v] * total_height)
              for i, col in enumerate(columns) for v in col}
    nodes = {v: Node(v, names[v], r2.get(v), v in constructs, layer[v], *centre[v], widths[layer[v]], height)
             for v in ids}
    curves = _route(chains, links, nodes, centre, lefts, widths)
    labels = [_coefficient(p) for p in paths]
    label_at = _place_labels(curves, labels, list(nodes.values()))
    edges = tuple(Edge(src, dst, labels[i], _dashed(paths[i]), curves[i], label_at[i])
                  for i, (src, dst) in enumerate(links))
    width = lefts[-1] + widths[-1] + MARGIN
    return Layout(tuple(nodes[v] for v in ids), edges, width, total_height + 2 * MARGIN)


def _variables(constructs: dict, paths: list[dict]) -> list[str]:
    """Every variable in a path: constructs in instrument order, then the rest as they appear."""
    seen = {v: None for p in paths for v in (p["rhs"], p["lhs"])}
    return [c for c in constructs if c in seen] + [v for v in seen if v not in constructs]


def _coefficient(path: dict) -> str:
    """APA label of a path: β to two decimals, no leading zero, stars.

    >>> _coefficient({"std_all": -0.3484, "pvalue": 4e-18}), _coefficient({"std_all": 0.049, "pvalue": 0.2})
    ('−.35***', '.05')
    """
    return apa(path["std_all"], 2, bounded=True) + stars(path["pvalue"])


def _dashed(path: dict) -> bool:
    """Non-significant estimated paths are dashed; a fixed path (no p) is drawn solid."""
    return path["pvalue"] is not None and path["pvalue"] >= ALPHA


def _layers(ids: list[str], links: list[tuple[str, str]], roles: dict) -> dict[str, int]:
    """Column of each variable: by role when every variable has one, refined by the longest
    chain of paths inside a role, else by the longest chain from the exogenous variables.

    >>> _layers(["x", "m", "y"], [("x", "m"), ("m", "y"), ("x", "y")], {})
    {'x': 0, 'm': 1, 'y': 2}
    >>> _layers(["a", "b", "c"], [("a", "c"), ("b", "c")], {"a": "driver", "b": "trust", "c": "outcome"})
    {'a': 0, 'b': 1, 'c': 2}
    """
    by_role = all(roles.get(v) in ROLE_RANK for v in ids)
    rank = {v: ROLE_RANK[roles[v]] if by_role else 0 for v in ids}
    preds = {v: [] for v in ids}
    for src, dst in _acyclic(ids, links):
        if rank[src] == rank[dst]:
            preds[dst].append(src)
    depth: dict[str, int] = {}

    def deepest(v):
        if v not in depth:
            depth[v] = max((deepest(u) + 1 for u in preds[v]), default=0)
        return depth[v]

    keys = {v: (rank[v], deepest(v)) for v in ids}
    index = {key: i for i, key in enumerate(sorted(set(keys.values())))}
    return {v: index[keys[v]] for v in ids}


def _acyclic(ids: list[str], links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The links without those closing a cycle (depth-first back edges), so that nonrecursive
    models get layers too; the dropped links are drawn pointing backwards.

    >>> _acyclic(["a", "b"], [("a", "b"), ("b", "a")])
    [('a', 'b')]
    """
    succs = {v: [] for v in ids}
    for src, dst in links:
        succs[src].append(dst)
    state, back = {}, set()

    def visit(v):
        state[v] = "open"
        for w in succs[v]:
            if state.get(w) == "open":
                back.add((v, w))
            elif w not in state:
                visit(w)
        state[v] = "done"

    for v in ids:
        if v not in state:
            visit(v)
    return [link for link in links if link not in back]


def _columns(ids, links, layer):
    """Columns of variable ids plus a waypoint ``(i, column)`` wherever path i skips a column,
    and per path its chain of stops from the left end to the right end."""
    columns = [[] for _ in range(max(layer.values()) + 1)]
    for v in ids:
        columns[layer[v]].append(v)
    chains = []
    for i, (src, dst) in enumerate(links):
        left, right = sorted((src, dst), key=layer.get)
        waypoints = [(i, c) for c in range(layer[left] + 1, layer[right])]
        for point in waypoints:
            columns[point[1]].append(point)
        chains.append([left, *waypoints, right])
    return columns, chains


def _order(columns, chains, sweeps: int = 8):
    """Barycentre heuristic: sort each column by the mean position of its neighbours in the
    previous column, sweeping right then left, and keep the order with the fewest crossings.
    Sorting is stable, so ties keep the instrument's order and the result is deterministic."""
    neighbours = {"left": {}, "right": {}}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            neighbours["left"].setdefault(b, []).append(a)
            neighbours["right"].setdefault(a, []).append(b)
    columns = [list(col) for col in columns]
    best, fewest = [list(col) for col in columns], _crossings(columns, chains)
    for _ in range(sweeps):
        for side, sequence in (("left", range(1, len(columns))), ("right", range(len(columns) - 2, -1, -1))):
            for c in sequence:
                position = _positions(columns)
                columns[c] = sorted(columns[c], key=lambda v: _barycentre(v, neighbours[side], position))
            crossings = _crossings(columns, chains)
            if crossings < fewest:
                best, fewest = [list(col) for col in columns], crossings
    return best


def _slots(column) -> float:
    """Height of a column in box slots; a path passing through needs less room than a box."""
    return sum(1.0 if isinstance(v, str) else WAYPOINT_SLOT for v in column)


def _positions(columns) -> dict:
    """Relative height (0-1) of every stop: each column spreads its slots over the full height.

    >>> _positions([["a", (0, 0), "b"]])
    {'a': 0.2, (0, 0): 0.5, 'b': 0.8}
    """
    position = {}
    for column in columns:
        top, total = 0.0, _slots(column)
        for v in column:
            slot = _slots([v])
            position[v] = (top + slot / 2) / total
            top += slot
    return position


def _barycentre(v, neighbours: dict, position: dict) -> float:
    """Mean position of ``v``'s neighbours on one side, or its own when it has none there."""
    around = neighbours.get(v)
    return sum(position[u] for u in around) / len(around) if around else position[v]


def _crossings(columns, chains) -> int:
    """Pairs of path segments that cross between adjacent columns."""
    position = _positions(columns)
    column = {v: c for c, col in enumerate(columns) for v in col}
    by_gap = {}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            by_gap.setdefault(column[a], []).append((position[a], position[b]))
    return sum((a1 - a2) * (b1 - b2) < 0 for gap in by_gap.values()
               for k, (a1, b1) in enumerate(gap) for a2, b2 in gap[k + 1:])


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Approximate advance width in px of ``text`` in a sans-serif font: Chinese characters
    are one em, Latin letters about half; slightly generous so that text stays inside its box.

    >>> _text_width("主播信任", 10), round(_text_width("Host trust", 10), 1)
    (40.0, 55.0)
    """
    ems = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            ems += 1.0
        elif ch in "il.,:;'|!()[] ":
            ems += 0.3
        elif ch.isupper() or ch in "mw%&@":
            ems += 0.72
        else:
            ems += 0.56
    return ems * size * (1.07 if bold else 1.0)


def _lines(vid: str, name: dict, r2: float | None, lang: str) -> list[Line]:
    """A box's text: the name in ``lang`` (bold), the other language's name with the id, and
    R² for an endogenous variable; baselines ``dy`` are relative to the box centre.

    >>> [line.text for line in _lines("HT", {"en": "Host trust", "zh": "主播信任"}, 0.1627, "zh")]
    ['主播信任', 'Host trust (HT)', 'R² = .16']
    >>> [line.text for line in _lines("x1", {"en": "x1", "zh": "x1"}, None, "en")]
    ['x1']
    """
    first, other = name[lang], name["zh" if lang == "en" else "en"]
    texts = [(first, NAME_SIZE, "name")]
    if first != vid:
        texts.append((f"{other} ({vid})" if other != first else f"({vid})", SUB_SIZE, "sub"))
    if r2 is not None:
        texts.append((f"R² = {apa(r2, 2, bounded=True)}", SUB_SIZE, "r2"))
    texts = [(part, size, style) for text, size, style in texts
             for part in _wrap(text, size, style == "name")]
    top = -sum(size * LINE_HEIGHT for _, size, _ in texts) / 2
    lines = []
    for text, size, style in texts:
        # baseline = half the leading plus the ascent (~.85 em) below the line's top, which
        # centres the glyphs in the line
        lines.append(Line(text, size, style, top + size * (LINE_HEIGHT - 1) / 2 + size * 0.85))
        top += size * LINE_HEIGHT
    return lines


def _wrap(text: str, size: float, bold: bool) -> list[str]:
    """A name wider than ``WRAP_WIDTH`` split at the space that balances two lines best, which
    keeps columns narrow enough for the figure to fit a page; names without spaces (Chinese)
    stay on one line.

    >>> _wrap("Social-relationship strength", 14, True), _wrap("Host trust", 14, True)
    (['Social-relationship', 'strength'], ['Host trust'])
    """
    spaces = [k for k, ch in enumerate(text) if ch == " "]
    if _text_width(text, size, bold) <= WRAP_WIDTH or not spaces:
        return [text]
    k = min(spaces, key=lambda k: (max(_text_width(text[:k], size, bold), _text_width(text[k + 1:], size, bold)), k))
    return [text[:k], text[k + 1:]]


def _box_size(vid: str, name: dict, r2: float | None) -> tuple[float, float]:
    """Width and height of a box that fits its text in either language."""
    both = [_lines(vid, name, r2, lang) for lang in ("en", "zh")]
    width = max(_text_width(line.text, line.size, line.style == "name") for lines in both for line in lines)
    height = max(sum(line.size * LINE_HEIGHT for line in lines) for lines in both)
    return width + 2 * PAD_X, height + 2 * PAD_Y


def _route(chains, links, nodes, centre, lefts, widths) -> list[tuple[Point, ...]]:
    """Each path as Bézier segments: an S-curve across every gap between columns (leaving and
    entering boxes horizontally) and a straight run through a column it skips."""
    ports = _ports(chains, nodes, centre)
    curves = []
    for i, chain in enumerate(chains):
        stops = [ports[i, "out"]]
        for waypoint in chain[1:-1]:
            column, y = waypoint[1], centre[waypoint][1]
            stops += [(lefts[column], y), (lefts[column] + widths[column], y)]
        stops.append(ports[i, "in"])
        curve = [stops[0]]
        for k, (a, b) in enumerate(zip(stops, stops[1:])):
            bend = 0.5 if k % 2 == 0 else 1 / 3   # 1/3: control points on the line make it straight
            dx = b[0] - a[0]
            curve += [(a[0] + bend * dx, a[1]), (b[0] - bend * dx, b[1]), b]
        curves.append(tuple(curve if chain[0] == links[i][0] else reversed(curve)))
    return curves


def _ports(chains, nodes, centre) -> dict:
    """Where each path leaves its left box (right side) and enters its right box (left side):
    spread along the side in the order of the other ends, so arrowheads never share a point."""
    sides = {}
    for i, chain in enumerate(chains):
        sides.setdefault((chain[0], "out"), []).append((centre[chain[1]][1], i))
        sides.setdefault((chain[-1], "in"), []).append((centre[chain[-2]][1], i))
    ports = {}
    for (v, side), ends in sides.items():
        node = nodes[v]
        x = node.x + node.width / 2 if side == "out" else node.x - node.width / 2
        straight = node.height - 2 * (CORNER if node.latent else PAD_Y)   # the side minus rounded corners
        spacing = min(PORT_SPACING, straight / max(len(ends) - 1, 1))
        for k, (_, i) in enumerate(sorted(ends)):
            ports[i, side] = (x, node.y + (k - (len(ends) - 1) / 2) * spacing)
    return ports


def _bezier(curve: tuple[Point, ...], segment: int, t: float) -> Point:
    """Point at parameter ``t`` of cubic segment ``segment`` of a curve."""
    p0, p1, p2, p3 = curve[3 * segment: 3 * segment + 4]
    u = 1 - t
    return tuple(u ** 3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t ** 3 * d
                 for a, b, c, d in zip(p0, p1, p2, p3))


def label_size(text: str) -> tuple[float, float]:
    """Width and height in px of a coefficient label's white box.

    >>> [round(v, 1) for v in label_size("0.52***")]
    [51.9, 18.0]
    """
    return _text_width(text, LABEL_SIZE) + 2 * LABEL_PAD[0], LABEL_SIZE + 2 * LABEL_PAD[1] + 2


def _place_labels(curves, labels, nodes) -> list[Point]:
    """Put each label on its curve where it overlaps no box and no other label and covers the
    fewest other paths, preferring the middle of a gap between columns: a greedy pass in path
    order, then passes that move each label to its best spot among the others."""
    gaps = [range(0, (len(curve) - 1) // 3, 2) for curve in curves]   # the S-curves between columns
    points = np.array([_bezier(curve, s, k / 40) for curve, segments in zip(curves, gaps)
                       for s in segments for k in range(41)])
    owner = np.repeat(np.arange(len(curves)), [41 * len(segments) for segments in gaps])
    options = []
    for i, (curve, label) in enumerate(zip(curves, labels)):
        w, h = label_size(label)
        spots = np.array([_bezier(curve, s, t) for t in SPOTS for s in gaps[i]])
        reach = np.array([w, h]) + CLEARANCE        # only points this close to a spot can count
        others = (owner != i) & np.all((points > spots.min(axis=0) - reach) & (points < spots.max(axis=0) + reach),
                                       axis=1)
        cost = 0.1 * np.arange(len(spots))
        for weight, margin in ((4, (2, 0)), (1, (CLEARANCE, CLEARANCE))):   # paths under it, paths near it
            hit = _inside(points[others, None, :], spots[None, :, :], np.array([w, h]) + margin)
            cost += weight * np.array([len(np.unique(owner[others][column])) for column in hit.T])
        options.append((spots, cost, np.array([w, h]) + LABEL_GAP))
    taken = np.array([(n.x, n.y, n.width + LABEL_GAP, n.height + LABEL_GAP) for n in nodes])
    chosen = np.full((len(curves), 4), np.nan)     # NaN boxes overlap nothing until placed
    for _ in range(3):
        for i, (spots, cost, size) in enumerate(options):
            others = np.vstack([taken, np.delete(chosen, i, axis=0)])
            overlaps = _inside(others[None, :, :2], spots[:, None, :], (size + others[:, 2:])[None, :, :])
            best = int(np.argmin(100 * overlaps.sum(axis=1) + cost))
            chosen[i] = (*spots[best], *size)
    return [(float(x), float(y)) for x, y, _, _ in chosen]


def _inside(points, centres, size):
    """Whether points lie in boxes of ``size`` (width, height) around ``centres``, broadcast;
    with ``size`` the sum of two boxes' sizes it tells whether the boxes overlap.

    >>> bool(_inside(np.array([1.0, 2.0]), np.array([0.0, 0.0]), np.array([4.0, 5.0])))
    True
    """
    return np.all(np.abs(points - centres) * 2 < size, axis=-1)


def _f(value: float) -> str:
    """Coordinates to 0.1 px: enough for print, and the output stays byte-stable."""
    return f"{value:.1f}"


def to_svg(figure: Layout, lang: str = "en") -> str:
    """A standalone inline ``<svg>``: boxes, curved arrows (dashed when p ≥ .05), labels with a
    white background; names in ``lang`` ("en" or "zh") first. All text is XML-escaped; no fonts or scripts are
    fetched, the font list falls back to whatever CJK font the reader has.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> svg = to_svg(layout(study.to_dict()))
    >>> svg[:4], svg.count("<path") >= 1
    ('<svg', True)
    """
    w, h = _f(figure.width), _f(figure.height)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="path-diagram" viewBox="0 0 {w} {h}" '
           f'width="{w}" height="{h}" role="img" font-family={quoteattr(FONT_FAMILY)} '
           'style="max-width:100%;height:auto">',
           "<title>Structural model: standardized path coefficients</title>",
           '<defs><marker id="semtrust-arrow" viewBox="0 0 10 8" refX="10" refY="4" markerWidth="10" '
           'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
           '<path d="M0,0 L10,4 L0,8 z" fill="#222"/></marker></defs>',
           '<g fill="none" stroke="#222" stroke-width="1.3">']
    for edge in figure.edges:
        start, rest = edge.curve[0], edge.curve[1:]
        d = f"M{_f(start[0])},{_f(start[1])}" + "".join(
            f" C{_f(rest[k][0])},{_f(rest[k][1])} {_f(rest[k + 1][0])},{_f(rest[k + 1][1])} "
            f"{_f(rest[k + 2][0])},{_f(rest[k + 2][1])}" for k in range(0, len(rest), 3))
        dash = ' stroke-dasharray="6 4"' if edge.dashed else ""
        out.append(f'<path d="{d}"{dash} marker-end="url(#semtrust-arrow)"/>')
    out.append('</g>\n<g stroke="#111" stroke-width="1.4" fill="#fff">')
    for node in figure.nodes:
        corner = f' rx="{_f(CORNER)}"' if node.latent else ""
        out.append(f'<rect x="{_f(node.x - node.width / 2)}" y="{_f(node.y - node.height / 2)}" '
                   f'width="{_f(node.width)}" height="{_f(node.height)}"{corner}/>')
    out.append('</g>\n<g text-anchor="middle" fill="#111">')
    for node in figure.nodes:
        for line in _lines(node.id, node.name, node.r2, lang):
            text = escape(line.text)
            if line.style == "r2":
                text = '<tspan font-style="italic">R</tspan>' + text[1:]
            weight = ' font-weight="bold"' if line.style == "name" else ""
            out.append(f'<text x="{_f(node.x)}" y="{_f(node.y + line.dy)}" font-size="{line.size:g}"'
                       f'{weight}>{text}</text>')
    out.append(f'</g>\n<g text-anchor="middle" font-size="{LABEL_SIZE:g}">')
    for edge in figure.edges:
        (x, y), (w, h) = edge.label_at, label_size(edge.label)
        out.append(f'<rect x="{_f(x - w / 2)}" y="{_f(y - h / 2)}" width="{_f(w)}" height="{_f(h)}" fill="#fff"/>'
                   f'<text x="{_f(x)}" y="{_f(y + LABEL_SIZE * 0.35)}" fill="#111">{escape(edge.label)}</text>')
    out.append("</g>\n</svg>")
    return "\n".join(out)


def _pt(value: float) -> str:
    """A font size or length in pt for TikZ (1 px = 0.75 pt)."""
    return f"{value * 0.75:.2f}pt"


def to_tikz(figure: Layout, lang: str = "en") -> str:
    """The same figure as a ``tikzpicture`` for the XeLaTeX report (needs ``tikz`` with the
    ``arrows.meta`` library; xeCJK typesets the Chinese names). Coordinates are the SVG's px,
    y pointing down, so both outputs share every position; names are LaTeX-escaped. Text is in
    the document's fonts, the name in ``lang`` first, as in the rest of the report.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> tikz = to_tikz(layout(study.to_dict()))
    >>> print(tikz.splitlines()[0][:40])
    \\begin{tikzpicture}[x=0.75pt, y=-0.75pt,
    """
    out = [r"\begin{tikzpicture}[x=0.75pt, y=-0.75pt, line join=round,"
           r" arrow/.style={-{Triangle[length=7.5pt, width=6pt]}, line width=0.98pt, draw=black!87},"
           r" dashed path/.style={dash pattern=on 4.5pt off 3pt}]"]
    for edge in figure.edges:
        points = [f"({_f(x)},{_f(y)})" for x, y in edge.curve]
        path = points[0] + "".join(f" .. controls {points[k]} and {points[k + 1]} .. {points[k + 2]}"
                                   for k in range(1, len(points), 3))
        out.append(rf"\draw[arrow{', dashed path' if edge.dashed else ''}] {path};")
    for node in figure.nodes:
        corner = f"rounded corners={_pt(CORNER)}, " if node.latent else ""
        out.append(rf"\draw[{corner}fill=white, line width=1.05pt] "
                   f"({_f(node.x - node.width / 2)},{_f(node.y - node.height / 2)}) rectangle "
                   f"({_f(node.x + node.width / 2)},{_f(node.y + node.height / 2)});")
        for line in _lines(node.id, node.name, node.r2, lang):
            text = tex_escape(line.text)
            if line.style == "r2":
                text = r"\textit{R}\textsuperscript{2}" + tex_escape(line.text[2:])
            weight = r"\bfseries" if line.style == "name" else ""
            out.append(rf"\node[anchor=base, inner sep=0pt, font=\fontsize{{{_pt(line.size)}}}"
                       rf"{{{_pt(line.size * LINE_HEIGHT)}}}\selectfont{weight}] at "
                       f"({_f(node.x)},{_f(node.y + line.dy)}) {{{text}}};")
    for edge in figure.edges:
        (x, y), (w, h) = edge.label_at, label_size(edge.label)
        out.append(rf"\fill[white] ({_f(x - w / 2)},{_f(y - h / 2)}) rectangle ({_f(x + w / 2)},{_f(y + h / 2)});")
        out.append(rf"\node[anchor=base, inner sep=0pt, font=\fontsize{{{_pt(LABEL_SIZE)}}}"
                   rf"{{{_pt(LABEL_SIZE * LINE_HEIGHT)}}}\selectfont] at ({_f(x)},{_f(y + LABEL_SIZE * 0.35)}) "
                   f"{{{tex_escape(edge.label)}}};")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)
