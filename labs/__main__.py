"""`python -m labs`: every lab, what it shows, the course section it reproduces, its run time.
`python -m labs day [--quick] [--again]`: runs them all and writes runs/index.html.

The list is an explicit registry; each lab's declaration (`labs.<name>.LAB`) imports no
TensorFlow, so the list prints at once.
"""

import argparse
import dataclasses
import importlib
import pathlib
import sys

from labs.kit.day import run_day


@dataclasses.dataclass(frozen=True)
class LabEntry:
    """One runnable lab, `python -m labs.<name>`."""

    name: str  # package name under labs/
    run_time: str  # the default command's measured wall time, and where it was measured

    @property
    def lab(self):
        """The lab's `kit.Lab` declaration."""
        return importlib.import_module(f"labs.{self.name}").LAB


LABS = (
    LabEntry("bidirectional", "4-6 min on 2 cores (2026-12-02)"),
    LabEntry("seq2seq", "21 s on 2 cores at load 2.4-3.4, 92 s at load 7-8 (2026-12-02)"),
    LabEntry("augmentation", "27 s on 2 cores at load 2-3, 84 s at load 11 (2026-12-02)"),
    LabEntry("activations", "10 s on 2 cores at load 2.4-2.8 (2026-12-02)"),
    LabEntry("simple_rnn", "23 s on 2 cores at load 2.8-3.2 (2026-12-02)"),
    LabEntry("language_model", "18 min on 2 nearly idle cores, 42 min at load 4-11 (2026-12-02)"),
    LabEntry("word2vec", "410 s on 2 shared cores (earlier session)"),
    LabEntry("attention", "8 min 20 s on 2 busy cores (earlier session)"),
    LabEntry("autoencoders", "22 min 46 s at load 8-18, 9 min 34 s of CPU (earlier session)"),
    LabEntry("dialogue", "8 min 21 s-8 min 47 s on 2 cores at load 5.6-7.4 (2026-12-04)"),
)


def list_labs():
    width = max(len(entry.name) for entry in LABS)
    print("Day-3 labs. Run one with `python -m labs.<name>`; `--help` shows its flags.\n")
    for entry in LABS:
        lab = entry.lab
        print(f"  {entry.name:<{width}}  {lab.summary}")
        print(f"  {'':<{width}}  course: {lab.section}")
        print(f"  {'':<{width}}  default run: {entry.run_time}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return list_labs()
    parser = argparse.ArgumentParser(
        prog="python -m labs",
        description="Without arguments: list the labs. `day`: run every lab at its default "
        "settings in sequence (finished labs are not run again; an interrupted one resumes), "
        "then write <output-dir>/index.html with every lab's key figure and numbers.",
    )
    parser.add_argument("command", choices=["day"])
    parser.add_argument("--quick", action="store_true", help="every lab's --quick run (minutes)")
    parser.add_argument("--again", action="store_true", help="also run the finished labs again")
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        default=pathlib.Path("runs"),
        help="the folder of the labs' output dirs (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        record = run_day(LABS, args.output_dir, quick=args.quick, again=args.again)
    except KeyboardInterrupt:
        print("\nlabs day: interrupted; run the same command again to continue", file=sys.stderr)
        sys.exit(130)
    failed = [name for name, run in record.items() if run["status"].startswith("failed")]
    if failed:
        print(f"labs day: error: {', '.join(failed)} failed (see above)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
