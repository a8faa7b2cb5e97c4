"""Sample-quality measures of generated against real data, each with its established definition:
k-NN precision/recall/density/coverage (knn.py), modes and per-mode share/spread (modes.py), the feature space
(features.py), FID/KID when torch-fidelity is present (fidelity.py). numpy + scipy; no torch needed."""
from ganlint.probe.samples.features import FeatureSpace
from ganlint.probe.samples.knn import K, manifold_measures, precision
from ganlint.probe.samples.modes import ModeModel, count_modes, spread

__all__ = ["K", "FeatureSpace", "ModeModel", "count_modes", "manifold_measures", "precision", "spread"]
