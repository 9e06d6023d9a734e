"""Check a report.html in headless Chromium: does anything overflow the page at 1400 px and
420 px, and take screenshots of the first screen at each width.

    python tools/report_layout.py semtrust_output/report.html [--screenshots DIR]

Prints one line per width: the page width, the document's scroll width and whether it
overflows (every wide table must scroll inside its own box instead).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTHS = (1400, 420)
# runs inside the report, framed at the width under test, and reports to the frame's parent
PROBE = """<script>
window.addEventListener("load", () => {
  const page = document.documentElement;
  const wide = [...document.querySelectorAll("div.table")].filter(t => t.getBoundingClientRect().right > innerWidth + 1);
  parent.postMessage(`${innerWidth} ${page.scrollWidth} ${wide.map(t => t.id).join(",")}`, "*");
});
</script></body>"""
# a headless window is at least 500 px wide, so narrower screens are an iframe of that width
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" style="width:{width}px;height:1600px;border:0"></iframe>
<script>addEventListener("message", e => document.body.setAttribute("data-layout", e.data));</script>
</body></html>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["chromium", "--headless=old", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--no-first-run", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def layout(html: Path, width: int, work: Path) -> tuple[int, int, list[str]]:
    """(window width, document scroll width, ids of tables sticking out of the window)."""
    probe, frame = work / "probe.html", work / f"frame_{width}.html"
    probe.write_text(html.read_text(encoding="utf-8").replace("</body>", PROBE), encoding="utf-8")
    frame.write_text(FRAME.format(src=probe.name, width=width), encoding="utf-8")
    done = chromium(f"--window-size={max(width, 500) + 20},2000", "--virtual-time-budget=5000", "--dump-dom",
                    frame.as_uri(), profile=work / "profile")
    found = re.search(r'data-layout="(\d+) (\d+) ([^"]*)"', done.stdout)
    if not found:
        raise RuntimeError(f"chromium gave no layout for {html} at {width} px: {done.stderr[-500:]}")
    return int(found.group(1)), int(found.group(2)), [t for t in found.group(3).split(",") if t]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args(argv)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for width in WIDTHS:
            window, scroll, tables = layout(args.html, width, Path(tmp))
            bad += scroll > window or bool(tables)
            print(f"{width} px: window {window}, document {scroll}, "
                  f"{'OVERFLOWS' if scroll > window else 'fits'}; tables out of the window: {tables or 'none'}")
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                shot = args.screenshots / f"report_{width}.png"
                chromium(f"--window-size={max(width, 500) + 20},1600", f"--screenshot={shot}",
                         (Path(tmp) / f"frame_{width}.html").as_uri(), profile=Path(tmp) / "profile")
                print(f"  screenshot {shot}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
