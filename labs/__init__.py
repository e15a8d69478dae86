"""The Day-3 labs: one runnable module per lab, `python -m labs` lists them."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing on a CPU machine) buries the lab's own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
