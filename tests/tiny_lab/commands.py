"""The tiny lab's subcommand, reading its run through `kit.load_run`."""

import numpy as np

from labs import kit


def predict(context, options):
    saved = kit.load_run(context)
    try:
        x = np.array([[float(value) for value in options.inputs]], dtype="float32")
    except ValueError:
        raise kit.LabError(f"expected numbers, got {' '.join(options.inputs)!r}") from None
    if x.shape[1] != saved.assets["inputs"]:
        raise kit.LabError(f"expected {saved.assets['inputs']} numbers, got {x.shape[1]}")
    print(float(saved.model(options.model).predict(x, verbose=0)[0, 0]))
