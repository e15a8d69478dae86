"""The augmentation lab: the gallery (presets course, strong), or the study (study, study_full).

The study trains, for every training-set size N, augmentation and seed, a fresh small model on a
stratified subset of N examples (a fifth of it kept for early stopping) and scores it on the test
set: Fashion-MNIST with six image augmentations, SST-2 and TREC with and without EDA. It writes
metrics.json ("study": mean, min, max and per-seed test accuracy of every cell), study.png and
study_text.png (accuracy against N), study.md (the tables) and history.csv (every model).
"""

import time

import numpy as np

from labs.augmentation import figures, gallery, study
from labs.data.images import load_images
from labs.data.text_classification import load_text_classification


def run(experiment):
    """The gallery, or the study when the preset says so."""
    if experiment.config.study:
        run_study(experiment)
    else:
        gallery.run_gallery(experiment)


def load_fashion_mnist(experiment):
    """All 60,000 Fashion-MNIST training images (the subsets are drawn from them) and the test
    images, as `study.run_image_cell` takes them."""
    config, context = experiment.config, experiment.context
    data = load_images(
        manual_dir=context.manual_dir, data_dir=context.data_dir, test_size=config.test_size
    )
    images = np.concatenate([data.train_images, data.validation_images])
    labels = np.concatenate([data.train_labels, data.validation_labels])
    return images, labels, data.test_images, data.test_labels, len(data.class_names)


def run_study(experiment):
    """Every cell of the study, its tables and its two plots."""
    config, context = experiment.config, experiment.context
    seeds = [context.seed + k for k in range(config.seeds)]
    results = experiment.results["study"] = {"images": {}, "text": {}}
    details = experiment.results["study_details"] = {
        "images": {},
        "text": {},
        "epochs": {},
        "seconds": {},
    }
    started = time.perf_counter()

    if "images" in config.parts:
        data = load_fashion_mnist(experiment)
        sizes = [*config.sizes, *([len(data[1])] if config.full else [])]
        for size in sizes:
            cells = results["images"][str(size)] = {}
            for name in config.augmentations:
                scores = {}
                for seed in seeds:
                    scores[seed], epochs = study.run_image_cell(
                        experiment, config, data, size, name, seed
                    )
                    details["epochs"].setdefault(f"images/{size}/{name}", []).append(epochs)
                cells[name] = {"test_accuracy": study.accuracy_summary(scores)}
                print(f"[images N={size} {name}] {figures.describe_accuracy(cells[name])}")
        details["images"] = study.image_details(config)
        details["seconds"]["images"] = round(time.perf_counter() - started, 1)

    if "text" in config.parts:
        text_started = time.perf_counter()
        synonyms, source = gallery.synonym_source(config.synonyms)
        text_sizes = set()
        for task_name in config.text_tasks:
            task = load_text_classification(task_name, manual_dir=context.manual_dir)
            sizes = [*config.sizes, *([len(task.train_labels)] if config.full else [])]
            text_sizes.update(sizes)
            for kind in study.TEXT_MODELS:
                by_size = results["text"].setdefault(task_name, {})[kind] = {}
                for size in sizes:
                    cells = by_size[str(size)] = {}
                    for name in study.TEXT_AUGMENTATIONS:
                        scores = {}
                        for seed in seeds:
                            scores[seed], epochs, _ = study.run_text_cell(
                                experiment, config, task, kind, size, name, seed, synonyms
                            )
                            key = f"{task_name}/{kind}/{size}/{name}"
                            details["epochs"].setdefault(key, []).append(epochs)
                        cells[name] = {"test_accuracy": study.accuracy_summary(scores)}
                        print(
                            f"[{task_name} {kind} N={size} {name}] "
                            f"{figures.describe_accuracy(cells[name])}"
                        )
        details["text"] = study.text_details(config, source, text_sizes)
        details["seconds"]["text"] = round(time.perf_counter() - text_started, 1)

    details["epochs"] = {key: float(np.mean(v)) for key, v in details["epochs"].items()}
    details["seconds"]["total"] = round(time.perf_counter() - started, 1)
    table = figures.study_table(results, seeds)
    print(f"\n{table}")
    experiment.write_file("study.md", table)
    if experiment.plots:
        if results["images"]:
            experiment.save_figure(figures.plot_image_study(results["images"], seeds), "study.png")
        if results["text"]:
            experiment.save_figure(
                figures.plot_text_study(results["text"], seeds), "study_text.png"
            )
