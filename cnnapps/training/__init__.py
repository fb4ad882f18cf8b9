"""Generic training: ``fit(model, train, val, config=FitConfig(...)) -> History``; no print, no Streamlit."""

from cnnapps.training.callbacks import Callback, EarlyStopping, FitProgress, FitState, ProgressCallback
from cnnapps.training.checkpoint import load_checkpoint, save_checkpoint
from cnnapps.training.fit import FitConfig, History, evaluate, fit, make_optimizer
from cnnapps.training.splits import stratified_split

__all__ = [
    "Callback",
    "EarlyStopping",
    "FitConfig",
    "FitProgress",
    "FitState",
    "History",
    "ProgressCallback",
    "evaluate",
    "fit",
    "load_checkpoint",
    "make_optimizer",
    "save_checkpoint",
    "stratified_split",
]
