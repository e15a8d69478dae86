"""`python -m labs day`: every lab at its default settings, one after the other, and one page.

Each lab runs as its own command (`python -m labs.<lab> --output-dir <root>/<lab>`), so an
interrupted day resumes like any lab: run it again, finished labs are not run again (unless
`--again`), the interrupted one continues from its backup. Then `<root>/index.html` shows every
lab's key figure, headline numbers and run time, linking to the lab's own page.
"""

import html
import json
import pathlib
import subprocess
import sys
import time

from labs.kit import report
from labs.kit.outputs import write_json

DAY = "day.json"  # {lab: {"seconds", "status"}} of the labs run by `day`


def _finished(out, quick):
    """The lab's finished metrics in `out` when they were made with the same `--quick`."""
    try:
        metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(metrics, dict) and "diverged" not in metrics and metrics.get("quick") == quick
    return metrics if ok else None


def run_day(entries, root, *, quick=False, again=False):
    """Runs every lab of `entries` (`labs.__main__.LABS`) into `<root>/<lab>/`.

    Args:
        entries: the registry's `LabEntry`s, in the order to run them.
        root: the folder of the labs' output dirs (`runs`).
        quick: pass `--quick` to every lab (minutes for the whole day).
        again: run finished labs again.

    Returns:
        `{lab: {"seconds": float, "status": "ran" | "finished before" | "failed (exit N)"}}`,
        also written to `<root>/day.json`.
    """
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        record = json.loads((root / DAY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    started = time.perf_counter()
    for index, entry in enumerate(entries, 1):
        out = root / entry.name
        heading = f"[{index}/{len(entries)}] {entry.name}"
        if not again and _finished(out, quick) is not None and entry.name in record:
            print(f"{heading}: finished before, not run again (--again runs it)", flush=True)
            record[entry.name]["status"] = "finished before"
            continue
        module = entry.lab.package
        print(f"\n{heading}: python -m {module}", flush=True)
        command = [sys.executable, "-m", module, "--output-dir", str(out)]
        began = time.perf_counter()
        code = subprocess.call([*command, *(["--quick"] if quick else [])])
        seconds = round(time.perf_counter() - began, 1)
        if code in (130, -2):  # Ctrl-C: the lab said where its backup is
            raise KeyboardInterrupt
        status = "ran" if code == 0 else f"failed (exit {code})"
        record[entry.name] = {"seconds": seconds, "status": status}
        write_json(root / DAY, record)
        print(f"{heading}: {status} in {seconds:.0f} s", flush=True)
    total = time.perf_counter() - started
    write_day_page(entries, root, record)
    print(f"\nThe day took {total / 60:.1f} min; every lab's page: {root / 'index.html'}")
    return record


def _card(entry, root, record):
    out = root / entry.name
    lab = entry.lab
    metrics = _finished(out, True) or _finished(out, False)
    title = f'<h2><a href="{entry.name}/index.html">{html.escape(entry.name)}</a></h2>'
    summary = (
        f"<p>{html.escape(lab.summary)}<br><small>course: {html.escape(lab.section)}</small></p>"
    )
    if metrics is None:
        status = record.get(entry.name, {}).get("status", "not run")
        return f'<section class="lab">{title}{summary}<p>No finished run ({status}).</p></section>'
    figures = sorted(out.glob("*.png"))
    key = out / lab.figure if lab.figure and (out / lab.figure).is_file() else None
    key = key or (figures[0] if figures else None)
    image = (
        f'<a href="{entry.name}/index.html"><img src="{entry.name}/{html.escape(key.name)}" '
        f'alt="{html.escape(entry.name)}: {html.escape(key.name)}"></a>'
        if key
        else ""
    )
    numbers = "".join(
        f"<li><strong>{html.escape(label)}</strong>: {html.escape(value)}</li>"
        for label, value in report.headline_numbers(metrics, lab.headline)
    )
    seconds = record.get(entry.name, {}).get("seconds")
    timing = f"<p><small>run time: {seconds:.0f} s</small></p>" if seconds else ""
    quick = " (--quick)" if metrics.get("quick") else ""
    return (
        f'<section class="lab">{title}{summary}{image}<ul>{numbers}</ul>'
        f"<p><small>preset {html.escape(str(metrics.get('preset')))}{quick}</small></p>"
        f"{timing}</section>"
    )


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 80em; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(22em, 1fr)); gap: 1.5em; }
section.lab { border: 1px solid #ddd; padding: 0 1em 1em; border-radius: 6px; }
section.lab img { max-width: 100%; border: 1px solid #eee; }
"""


def write_day_page(entries, root, record):
    """Writes `<root>/index.html`: a card per lab (key figure, headline, run time, link)."""
    cards = "\n".join(_card(entry, root, record) for entry in entries)
    total = sum(r.get("seconds", 0) for r in record.values())
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Day 3 labs</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>Day 3 labs</h1>\n<p>Labs run: {total / 60:.1f} min in all.</p>\n"
        f"<main>\n{cards}\n</main>\n</body>\n</html>\n"
    )
    path = pathlib.Path(root) / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
