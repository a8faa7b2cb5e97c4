"""--verify logic with a deterministic stand-in probe, and the shared Optuna search across real processes
(SQLite file, and a real PostgreSQL server on localhost)."""
import multiprocessing as mp
import os

import optuna
import pytest

from fakeprobe import never_healthy, score_000, shared_worker
from ganlint.fix import input_files
from ganlint.fix.planner import make_plan
from ganlint.fix.verify import VerifyOptions, knob_space, verify_plan


def opts(**kw):
    base = dict(probe_fn=score_000, report_dir=None, progress=False, workers=1, trials=6)
    base.update(kw)
    return VerifyOptions(**base)


def test_keeps_stages_that_help_and_drops_the_rest(project):
    d = project("wgan_gp_000_broken")
    plan = make_plan(input_files([str(d)]))
    res = verify_plan(plan, options=opts(trials=0))
    decisions = {s: kept for s, _, kept in res.stage_runs}
    assert decisions[1] is True and decisions[2] is True  # Sigmoid gone, lr lowered: the stand-in score drops
    assert decisions[3] is False  # z_dim alone does not change the stand-in score
    assert res.baseline.score > res.final.score
    cfg = res.result.new_texts[str(d / "config.yaml")]
    assert "non_linearity: LeakyReLU" in cfg and "learning_rate: 0.0001" in cfg and "z_dim: 3" in cfg


def test_search_tries_the_documents_choice_first_and_finds_the_healthy_point(project, tmp_path):
    d = project("wgan_gp_000_broken")
    plan = make_plan(input_files([str(d)]))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    res = verify_plan(plan, options=opts(storage=storage, study_name="t", trials=12, report_dir=str(tmp_path / "rep")))
    study = optuna.load_study(study_name="t", storage=storage)
    first = [t for t in study.trials if t.user_attrs.get("source") != "kept stages"][0]
    assert first.params == {"learning_rate": 1e-4, "batch_size": 64, "latent_dim": 16, "gp_weight": 10.0}
    assert res.final.healthy  # the stand-in is healthy only with z_dim >= 8 and λ <= 5: the search found one
    cfg = res.result.new_texts[str(d / "config.yaml")]
    assert "grad_penalty: 5.0" in cfg or "grad_penalty: 1.0" in cfg
    assert (tmp_path / "rep" / "fix-report.json").exists() and (tmp_path / "rep" / "fix-report.html").exists()
    # resuming on the same storage: the healthy trial is already there; only that point is probed again
    # (to write its files and report), no new search trials
    n_before = len(study.trials)
    again = verify_plan(make_plan(input_files([str(d)])), options=opts(storage=storage, study_name="t", trials=12))
    assert len(again.trials) == 1 and again.trials[0].label.startswith("study best") and again.final.healthy
    assert len(optuna.load_study(study_name="t", storage=storage).trials) == n_before


def test_knob_space_is_the_documents_ranges(project):
    d = project("wgan_gp_000_broken")
    plan = make_plan(input_files([str(d)]))
    space = knob_space(plan, plan.texts, "wgan-gp")
    assert space["learning_rate"]["spec"]["choices"] == [1e-4, 5e-5]
    assert space["gp_weight"]["spec"]["choices"] == [10.0, 5.0, 1.0]
    assert space["latent_dim"]["spec"]["int"] == (8, 32)


def _two_workers(storage, study, d, tmp_path, trials=3):
    ctx = mp.get_context("spawn")
    outs = [str(tmp_path / f"w{i}.txt") for i in range(2)]
    procs = [ctx.Process(target=shared_worker, args=(storage, study, [str(d)], trials, o)) for o in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
        assert p.exitcode == 0
    pids = {open(o).read().split()[0] for o in outs}
    assert len(pids) == 2
    s = optuna.load_study(study_name=study, storage=storage)
    done = [t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]
    workers = {t.user_attrs.get("worker", "").split(":")[-1] for t in done} - {""}
    return done, workers, pids


def test_shared_search_two_processes_one_sqlite_file(project, tmp_path):
    d = project("wgan_gp_000_broken")
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    done, workers, pids = _two_workers(storage, "shared", d, tmp_path)
    assert workers == pids  # both processes told trials into the one study
    assert len(done) >= 6


def test_shared_search_on_a_real_postgresql_server(project, tmp_path, postgres_url):
    d = project("wgan_gp_000_broken")
    done, workers, pids = _two_workers(postgres_url, "shared-pg", d, tmp_path)
    assert workers == pids
    assert len(done) >= 6
    assert postgres_url.startswith("postgresql")
