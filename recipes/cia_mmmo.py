"""CIA (Chauhan et al., EMNLP 2019) on ICT-MMMO, the authors' segment-level script setup.

The public CIA code (``GussailRaat/EMNLP-19-IIM``, ``youTube,py``) runs over the
word steps of one segment (T = 20 in the MFN release), pools the fused steps
with a plain mean over time and predicts one label per segment; six IIM
reconstruction outputs get an MSE each (no loss weights). Batch 16, Adam
1e-3, 50 epochs, the weights of the best validation accuracy kept, early
stopping on the validation task loss (patience 20)::

    python recipes/cia_mmmo.py                                       # synthetic ICT-MMMO-shaped data
    python recipes/cia_mmmo.py --data-dir ../shared/datasets/mfn_h5  # MFN h5 release
    python recipes/cia_mmmo.py --data-dir ../shared/datasets/mfn_h5 --modalities audio --no-iim

The MFN release has no training text for ICT-MMMO, so on the real data the default
modalities are audio + vision (the paper's A+V row is printed); a text row
needs data with training text. Audio saturates at +-255 in that release:
``--audio-clip`` clips it before the (train-fitted) normalisation.
See ``recipes/_cia_common.py`` (``make_segment_recipe``).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _cia_common import make_segment_recipe  # noqa: E402

from keras_msa.runner import run_recipe  # noqa: E402

RECIPE = make_segment_recipe("mmmo")

if __name__ == "__main__":
    run_recipe(RECIPE)
