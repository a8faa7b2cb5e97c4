"""Sample measures against cases with a known answer (numpy only: no training)."""
import numpy as np
import pytest

from ganlint.probe.samples import FeatureSpace, ModeModel, count_modes, manifold_measures

MEANS = np.array([[-2.0, 0.0], [2.0, 0.0]])


def mix(rng, n, which=None, std=0.5):
    lab = rng.integers(2, size=n) if which is None else np.full(n, which)
    return MEANS[lab] + std * rng.standard_normal((n, 2))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_points_between_the_modes_have_no_precision(rng):
    real = mix(rng, 768)
    between = np.array([0.0, 0.3]) + 0.05 * rng.standard_normal((400, 2))
    m = manifold_measures(real, between)
    assert m["precision"] < 0.05 and m["recall"] < 0.05 and m["coverage"] < 0.05
    # the 0.1 report's case: 400 points at (0.44, 0.76) were "100% on a real mode"
    stuck = manifold_measures(real, np.tile([0.44, 0.76], (400, 1)))
    assert stuck["precision"] < 0.05
    modes = ModeModel(real, MEANS).compare(np.tile([0.44, 0.76], (400, 1)))
    assert modes["modes_covered"] == 0 and modes["on_modes"] == 0.0 and not any(p["covered"] for p in modes["per_mode"])


def test_one_of_two_modes_has_half_the_recall_and_coverage(rng):
    real = mix(rng, 768)
    m = manifold_measures(real, mix(rng, 768, which=1))
    assert m["precision"] > 0.9
    assert abs(m["recall"] - 0.5) < 0.08 and abs(m["coverage"] - 0.5) < 0.08
    modes = ModeModel(real, MEANS).compare(mix(rng, 768, which=1))
    assert modes["modes_covered"] == 1 and [p["covered"] for p in modes["per_mode"]] == [False, True]


def test_real_data_against_itself_and_a_fresh_sample(rng):
    real = mix(rng, 768)
    itself = manifold_measures(real, real)
    assert itself["precision"] == 1.0 and itself["recall"] == 1.0 and itself["coverage"] == 1.0
    fresh = manifold_measures(real, mix(rng, 768))
    for k in ("precision", "recall", "coverage", "density"):
        assert 0.9 <= fresh[k] <= 1.1, (k, fresh[k])
    modes = ModeModel(real, MEANS).compare(mix(rng, 768))
    assert modes["modes_covered"] == 2
    assert all(0.85 < p["spread_ratio"] < 1.15 for p in modes["per_mode"])


def test_per_mode_spread_sees_a_streak_and_a_collapse(rng):
    real = mix(rng, 768)
    mm = ModeModel(real, MEANS)
    streak = np.stack([np.linspace(-2.0, -0.2, 400), 0.05 * rng.standard_normal(400)], 1)  # from a mode into the gap
    s = mm.compare(streak)["per_mode"][0]
    assert s["spread_ratio"] < 0.5  # a line: the generalised spread collapses
    across = np.stack([np.linspace(-3.0, 3.0, 768), 0.3 * rng.standard_normal(768)], 1)  # a streak over the gap
    for p in mm.compare(across)["per_mode"]:  # its generalised spread looks right; its axes do not
        assert 0.8 < p["spread_ratio"] < 1.25 and min(p["axis_ratios"]) < 0.7 and max(p["axis_ratios"]) > 1.4
    wide = mix(rng, 768, std=1.0)
    assert all(p["spread_ratio"] > 1.4 for p in mm.compare(wide)["per_mode"])
    centre = mix(rng, 768, std=0.05)
    r = mm.compare(centre)
    assert r["modes_covered"] == 2 and r["spread_ratio"] < 0.2


def test_number_of_modes_is_stable(rng):
    assert len(count_modes(rng.standard_normal((3000, 2)) * [3.0, 0.5])) == 1  # one (elongated) Gaussian
    assert len(count_modes(mix(rng, 3000))) == 2
    ring = np.array([[2 * np.cos(a), 2 * np.sin(a)] for a in np.arange(8) * np.pi / 4])
    assert len(count_modes(ring[rng.integers(8, size=3000)] + 0.1 * rng.standard_normal((3000, 2)))) == 8
    templates = rng.random((2, 784))
    imgs = np.clip(templates[rng.integers(2, size=2000)] + 0.2 * rng.standard_normal((2000, 784)), 0, 1)
    feats = FeatureSpace(784)
    assert len(count_modes(feats(imgs))) == 2  # k-means + silhouette said 10 here
    one = np.clip(templates[0] + 0.2 * rng.standard_normal((2000, 784)), 0, 1)
    assert len(count_modes(feats(one))) == 1
    assert [len(count_modes(mix(np.random.default_rng(s), 3000), seed=s)) for s in range(3)] == [2, 2, 2]


def test_image_features_keep_distances_and_the_measures(rng):
    templates = rng.random((2, 784))

    def images(labels):
        return np.clip(templates[labels] + 0.2 * rng.standard_normal((len(labels), 784)), 0, 1)

    real, fresh, one = images(rng.integers(2, size=768)), images(rng.integers(2, size=768)), images(np.ones(768, int))
    fs = FeatureSpace(784)
    a, b = real[:50], real[50:100]
    ratio = np.linalg.norm(fs(a) - fs(b), axis=1) / np.linalg.norm(a - b, axis=1)
    assert 0.7 < ratio.min() and ratio.max() < 1.3  # Johnson-Lindenstrauss: distances kept
    for fake in (fresh, one):  # the projected measures are the pixel-space ones
        raw, feat = manifold_measures(real, fake), manifold_measures(fs(real), fs(fake))
        assert abs(raw["precision"] - feat["precision"]) < 0.06 and abs(raw["coverage"] - feat["coverage"]) < 0.06
        assert abs(raw["recall"] - feat["recall"]) < 0.15, (raw, feat)
    full, half = manifold_measures(fs(real), fs(fresh)), manifold_measures(fs(real), fs(one))
    assert full["coverage"] > 0.9 and abs(half["coverage"] - 0.5) < 0.1  # coverage is robust in 784-D
    assert half["recall"] < 0.6 * full["recall"]


def test_fid_kid_only_with_torch_fidelity_and_its_weights_present():
    import torch

    from ganlint.probe.samples import fidelity

    real = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8)
    if not fidelity.available():
        assert fidelity.fid_kid(real, real) == {}  # nothing downloaded, nothing made up
        pytest.skip("torch-fidelity or its Inception weights are not installed")
    same, other = fidelity.fid_kid(real, real), fidelity.fid_kid(real, torch.zeros_like(real))
    assert same["fid"] < other["fid"] and same["kid"] < other["kid"]
