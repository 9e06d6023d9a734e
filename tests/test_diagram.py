import json
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from semtrust.report.diagram import label_size, layout, to_svg, to_tikz
from semtrust.model.instrument import load_instrument
from semtrust.api import fit as run_study
from semtrust.report.render import render_report
from conftest import ROOT

SVG = "{http://www.w3.org/2000/svg}"
# the report's font set-up (reports/report.tex.j2) and the packages it loads for the figure
TEX_PREAMBLE = r"""\documentclass{article}
\usepackage{fontspec}
\usepackage{xeCJK}
\IfFontExistsTF{Noto Serif CJK SC}{\setCJKmainfont{Noto Serif CJK SC}}{\setCJKmainfont{FandolSong-Regular.otf}}
\usepackage{tikz}
\usetikzlibrary{arrows.meta}
\begin{document}
"""


def _path(rhs, lhs, beta, p):
    return {"lhs": lhs, "rhs": rhs, "est": beta, "se": 0.05, "z": beta / 0.05, "pvalue": p,
            "ci_lower": beta - 0.1, "ci_upper": beta + 0.1, "std_all": beta}


@pytest.fixture(scope="module")
def trust():
    """The trust instrument's 25 hypotheses as a results dictionary (roles from the instrument)."""
    inst = load_instrument("trust_mechanism")
    paths = [_path(h.source, h.target, 0.1 + 0.01 * k, 0.001) for k, h in enumerate(inst.hypotheses)]
    return {"constructs": {c.id: {"name": c.name, "role": c.role} for c in inst.constructs},
            "paths": paths, "r2": {p["lhs"]: 0.4 for p in paths}}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A --model run: X -> M -> Y with a direct X -> Y path and an observed predictor."""
    tmp = tmp_path_factory.mktemp("chain")
    (tmp / "m.lav").write_text("HT =~ HT1 + HT2 + HT3\nPR =~ PR1 + PR2 + PR3\nPI =~ PI1 + PI2 + PI3\n"
                               "PR ~ HT + CA1\nPI ~ PR + HT\n")
    return run_study(ROOT / "example_data" / "trust_survey.csv", model=tmp / "m.lav", measurement_bootstrap=0).to_dict()


def test_trust_layers_follow_roles(trust):
    figure = layout(trust)
    columns = {}
    for node in figure.nodes:
        columns.setdefault(node.layer, set()).add(trust["constructs"][node.id]["role"])
    assert columns == {0: {"driver"}, 1: {"trust"}, 2: {"mediator"}, 3: {"outcome"}}
    assert [sum(n.layer == k for n in figure.nodes) for k in range(4)] == [5, 4, 3, 3]
    assert len(figure.edges) == 25
    # columns run left to right and no two boxes overlap
    assert all(a.x < b.x for a in figure.nodes for b in figure.nodes if a.layer < b.layer)
    for a in figure.nodes:
        for b in figure.nodes:
            if a is not b and a.layer == b.layer:
                assert abs(a.y - b.y) >= a.height

    # the barycentre order crosses fewer paths than the instrument's order, which lists the
    # drivers CA, ID, AG, SR, AT; every trust path joins adjacent columns
    def crossings(y):
        pairs = [(y[e.source], y[e.target], trust["constructs"][e.source]["role"]) for e in figure.edges]
        return sum((a1 - a2) * (b1 - b2) < 0 for k, (a1, b1, role1) in enumerate(pairs)
                   for a2, b2, role2 in pairs[k + 1:] if role1 == role2)

    drawn = {n.id: n.y for n in figure.nodes}
    listed = {}
    for role in ("driver", "trust", "mediator", "outcome"):
        ids = [c for c, v in trust["constructs"].items() if v["role"] == role]
        listed.update({c: (k + 0.5) / len(ids) for k, c in enumerate(ids)})
    assert (crossings(drawn), crossings(listed)) == (13, 17)


def test_labels_do_not_overlap(trust):
    figure = layout(trust)
    boxes = [(*e.label_at, *label_size(e.label)) for e in figure.edges]
    boxes += [(n.x, n.y, n.width, n.height) for n in figure.nodes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert abs(a[0] - b[0]) * 2 >= a[2] + b[2] or abs(a[1] - b[1]) * 2 >= a[3] + b[3], (a, b)


def test_model_chain_has_three_layers(chain):
    figure = layout(chain)
    layer = {n.id: n.layer for n in figure.nodes}
    assert layer == {"HT": 0, "CA1": 0, "PR": 1, "PI": 2}
    assert {n.id: n.latent for n in figure.nodes} == {"HT": True, "PR": True, "PI": True, "CA1": False}
    assert {n.id: n.r2 for n in figure.nodes} == {"HT": None, "CA1": None, "PR": chain["r2"]["PR"],
                                                 "PI": chain["r2"]["PI"]}
    # the direct HT -> PI path crosses PR's column beside PR's box, not through it
    direct = next(e for e in figure.edges if (e.source, e.target) == ("HT", "PI"))
    pr = next(n for n in figure.nodes if n.id == "PR")
    inside = [y for x, y in direct.curve if pr.x - pr.width / 2 <= x <= pr.x + pr.width / 2]
    assert inside and all(abs(y - pr.y) > pr.height / 2 for y in inside)


def test_stars_dashes_and_minus():
    results = {"constructs": {}, "r2": {"y": 0.5},
               "paths": [_path("a", "y", 0.2749, 0.0004), _path("b", "y", -0.3512, 0.004),
                         _path("c", "y", 0.126, 0.04), _path("d", "y", 0.049, 0.2),
                         _path("e", "y", 1.0, None)]}
    figure = layout(results)
    assert [(e.label, e.dashed) for e in figure.edges] == [
        (".27***", False), ("−.35**", False), (".13*", False), (".05", True), ("1.00", False)]
    svg, tikz = to_svg(figure), to_tikz(figure)
    assert svg.count('stroke-dasharray="6 4"') == 1 and tikz.count("dashed path]") == 1
    assert ">−.35**</text>" in svg and r"{\textminus{}.35**}" in tikz
    assert "<tspan font-style=\"italic\">R</tspan>² = .50" in svg and r"\textit{R}\textsuperscript{2} = .50" in tikz


def test_svg_parses_and_escapes_names():
    nasty = {"X": {"name": {"en": "<&> risk", "zh": "风险 50%_#"}, "role": None}}
    results = {"constructs": nasty, "r2": {"Y": 0.1}, "paths": [_path("X", "Y", 0.3, 0.01)]}
    figure = layout(results)
    svg = to_svg(figure)
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert texts == ["<&> risk", "风险 50%_# (X)", "Y", "R² = .10", ".30*"]
    assert "<&>" not in svg and "&lt;&amp;&gt; risk" in svg
    assert len(root.findall(f"{SVG}defs/{SVG}marker")) == 1
    assert [p.get("marker-end") for p in root.iter(SVG + "path") if p.get("marker-end")] == ["url(#semtrust-arrow)"]
    assert "Noto Sans CJK SC" in root.get("font-family") and "<script" not in svg and "href" not in svg
    zh = ET.fromstring(to_svg(figure, lang="zh"))
    assert ["".join(t.itertext()) for t in zh.iter(SVG + "text")][:2] == ["风险 50%_#", "<&> risk (X)"]
    tikz = to_tikz(figure)
    assert r"{\textless{}\&\textgreater{} risk}" in tikz and r"{风险 50\%\_\# (X)}" in tikz
    assert tikz.startswith(r"\begin{tikzpicture}") and tikz.endswith(r"\end{tikzpicture}")


def test_output_is_deterministic(trust):
    again = json.loads(json.dumps(trust))
    assert to_svg(layout(trust)) == to_svg(layout(again))
    assert to_tikz(layout(trust)) == to_tikz(layout(again))


def test_report_carries_figure_only_with_paths(chain):
    html = render_report(chain, "html")
    assert "<strong>Figure 1</strong><br><em>Structural model</em>" in html and html.count("<svg") == 1
    assert "&lt;svg" not in html                      # inserted as markup, not escaped text
    assert r"\begin{tikzpicture}" in render_report(chain, "tex")
    bare = dict(chain, paths=[], r2={})
    assert "Figure 1" not in render_report(bare, "html")
    assert "tikzpicture" not in render_report(bare, "tex")


def test_cycle_is_drawn_backwards():
    results = {"constructs": {}, "r2": {}, "paths": [_path("a", "b", 0.3, 0.01), _path("b", "a", 0.2, 0.02)]}
    figure = layout(results)
    assert [(n.id, n.layer) for n in figure.nodes] == [("a", 0), ("b", 1)]
    back = figure.edges[1]
    a = figure.nodes[0]
    assert back.curve[-1][0] == pytest.approx(a.x + a.width / 2)      # arrives at a's right side


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed (.ci/run installs it)")
def test_tikz_compiles_with_chinese(tmp_path, chain):
    names = {"en": "Perceived risk <&> 50%_#", "zh": "感知风险"}
    results = dict(chain, constructs=dict(chain["constructs"], PR={"name": names, "role": None}))
    (tmp_path / "fig.tex").write_text(TEX_PREAMBLE + to_tikz(layout(results)) + "\n\\end{document}\n",
                                      encoding="utf-8")
    done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "fig.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Missing character" not in (tmp_path / "fig.log").read_text(errors="replace")
    assert (tmp_path / "fig.pdf").stat().st_size > 5_000
