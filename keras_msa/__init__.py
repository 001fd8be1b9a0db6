"""keras_msa: Keras 3 implementations of multimodal sentiment analysis models.

Importing ``keras_msa`` registers every custom layer with Keras, which is what
``keras.saving.load_model`` needs to rebuild a saved ``.keras`` file.
"""

__version__ = "0.1.0"

from keras_msa import data_tools  # noqa: F401,E402
from keras_msa import layers  # noqa: F401,E402
from keras_msa import metrics  # noqa: F401,E402
from keras_msa import models  # noqa: F401,E402
