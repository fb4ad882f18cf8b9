"""The training lab: watch a small CNN overfit, then cure it (issue 12). No Streamlit here."""

from cnnapps.lab.config import AUGMENTATIONS, DATASETS, MODELS, InvalidLabConfig, LabConfig
from cnnapps.lab.data import DatasetUnavailable, LabData, load_dataset
from cnnapps.lab.models import build_model
from cnnapps.lab.trainer import LabRun, train_lab

__all__ = ["AUGMENTATIONS", "DATASETS", "MODELS", "DatasetUnavailable", "InvalidLabConfig", "LabConfig",
           "LabData", "LabRun", "build_model", "load_dataset", "train_lab"]
