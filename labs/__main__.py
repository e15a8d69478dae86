"""`python -m labs`: every lab, what it shows, the course section it reproduces, its run time.

The list is an explicit registry; each lab's declaration (`labs.<name>.LAB`) imports no
TensorFlow, so the list prints at once.
"""

import dataclasses
import importlib


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
)


def main():
    width = max(len(entry.name) for entry in LABS)
    print("Day-3 labs. Run one with `python -m labs.<name>`; `--help` shows its flags.\n")
    for entry in LABS:
        lab = entry.lab
        print(f"  {entry.name:<{width}}  {lab.summary}")
        print(f"  {'':<{width}}  course: {lab.section}")
        print(f"  {'':<{width}}  default run: {entry.run_time}")


if __name__ == "__main__":
    main()
