"""TMA paper (Qian et al., Temporal Modality Attention), Table 2, on YouTube.

Trains MARN(TMA) (default), MFN(TMA), or the baselines MARN / MFN (the TMA
code's window-1 MFN, ``--model mfn_window1``; the original window-2 MFN,
``--model mfn``) with the TMA reference code's hyperparameters and training
conventions, and prints the test metrics next to the paper's Table 2::

    python recipes/tma_youtube.py --data-dir ../shared/datasets/mfn_h5 --modalities audio,vision
    python recipes/tma_youtube.py --model marn   # synthetic data, MARN baseline

Without ``--data-dir`` the data are synthetic with the real shape (the numbers
are then not comparable with the paper's). See ``recipes/_tma_common.py``.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _tma_common import make_recipe  # noqa: E402

from keras_msa.runner import run_recipe  # noqa: E402

RECIPE = make_recipe("youtube")

if __name__ == "__main__":
    run_recipe(RECIPE)
