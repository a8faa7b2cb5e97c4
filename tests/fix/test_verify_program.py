"""`fix --verify train.py`: a loop edit is verified by running the user's patched program (the trace launcher),
in a scratch copy of the project, never touching the user's files. Real subprocesses of the CLI, a real
one-file GAN (module-level argparse `opt`, module-level loop, a sibling module, a data file read by a
relative path, a checkpoint written into an existing folder), a few hundred generator steps on 2-D points."""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

GANLINT = str(Path(sys.executable).with_name("ganlint"))

NETS = '''import warnings

import torch.nn as nn

warnings.warn("nets: the block() helper is deprecated")  # the program's own stderr names its file


def block(in_feat, out_feat):
    return [nn.Linear(in_feat, out_feat), nn.LeakyReLU(0.2, inplace=True)]


def midpoint(real, fake):
    return 0.5 * real + 0.5 * fake
'''

# The bug is in the loop: the discriminator's loss takes the generator's output without .detach(), so its
# backward reaches G (GL115, which `check` sees and ganlint's fix edits in the code); G's gradients are zeroed
# once per iteration, before the D step, so that backward's gradients go into G's own update.
TRAIN = '''"""A one-file GAN on 2-D points."""
import argparse

import torch
import torch.nn as nn

from nets import block, midpoint

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=200)
parser.add_argument("--batch_size", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--latent_dim", type=int, default=8)
opt = parser.parse_args()
torch.manual_seed(0)

points = torch.tensor([[float(v) for v in line.split(",")] for line in open("data/points.csv")])

generator = nn.Sequential(*block(opt.latent_dim, 64), *block(64, 64), nn.Linear(64, 2))
discriminator = nn.Sequential(*block(2, 64), *block(64, 64), nn.Linear(64, 1))
adversarial_loss = nn.BCEWithLogitsLoss()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.lr, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(0.5, 0.999))

for epoch in range(opt.n_epochs):
    perm = torch.randperm(len(points))
    for i in range(0, len(points), opt.batch_size):
        real = points[perm[i:i + opt.batch_size]]
        valid = torch.ones(real.size(0), 1)
        fake = torch.zeros(real.size(0), 1)

        optimizer_G.zero_grad()
        optimizer_D.zero_grad()
        gen = generator(torch.randn(real.size(0), opt.latent_dim))
        real_loss = adversarial_loss(discriminator(real), valid)
        fake_loss = adversarial_loss(discriminator(gen), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()

        gen = generator(torch.randn(real.size(0), opt.latent_dim))
        g_loss = adversarial_loss(discriminator(gen), valid)
        g_loss.backward()
        optimizer_G.step()

torch.save(generator.state_dict(), "checkpoints/generator.pt")
'''

# A second way into G that `check` cannot see (the mix is made in another module): the fix detaches the
# direct use, the patched program still leaks.
SECOND_LEAK = ('''        d_loss = (real_loss + fake_loss) / 2''',
               '''        mix_loss = adversarial_loss(discriminator(midpoint(real, gen)), fake)
        d_loss = (real_loss + fake_loss + mix_loss) / 3''')

STEPS = "250"  # enough for the tiny GAN to match one Gaussian (spread 0.77-1.25x of the real per axis)


def make_project(root: Path, train: str = TRAIN) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "checkpoints").mkdir()
    rnd = random.Random(0)
    rows = [f"{1.0 + 0.25 * rnd.gauss(0, 1):.4f},{0.5 + 0.15 * rnd.gauss(0, 1):.4f}" for _ in range(2048)]
    (root / "data" / "points.csv").write_text("\n".join(rows) + "\n")
    (root / "checkpoints" / "generator.pt").write_bytes(b"the user's own checkpoint")
    (root / "nets.py").write_text(NETS)
    (root / "train.py").write_text(train)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def fix_verify(cwd: Path, *args: str, timeout: int = 170):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([GANLINT, "fix", "--verify", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_loop_edit_is_verified_by_running_the_patched_program(tmp_path):
    proj = make_project(tmp_path / "proj")
    before = snapshot(proj)
    p = fix_verify(proj, "train.py", "--steps", STEPS, "--trials", "0", "--workers", "1")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    after = snapshot(proj)
    # the user's files keep every byte (their checkpoint too: the program wrote into the scratch copy);
    # what is new is the fix's output only
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == ["fix-report/fix-report.html", "fix-report/fix-report.json",
                                                "train.fixed.py"]
    fixed = (proj / "train.fixed.py").read_text()
    assert "discriminator(gen.detach()), fake)" in fixed
    rep = json.loads((proj / "fix-report" / "fix-report.json").read_text())
    assert rep["mode"] == "run" and rep["program"] == "train.py"
    # the baseline ran the user's loop and measured the leak; the final run of the patched loop did not
    assert "GL115" in rep["baseline"]["codes"] and rep["baseline"]["healthy"] is False
    assert rep["final"]["healthy"] is True and "GL115" not in rep["final"]["codes"]
    assert rep["final"]["metrics"]["steps_run"] == int(STEPS)
    # the same measures as the recipe mode, before and after
    for k in ("mode_coverage", "spread_ratio"):
        assert rep["before_after"][k]["before"] is not None and rep["before_after"][k]["after"] is not None
    assert rep["final"]["per_mode"] and rep["baseline"]["per_mode"]
    # the edit changed how G trains: the baseline's cloud is squeezed along one axis (< 0.7x the real), the
    # patched program's is not, and more of its points lie on the data (k-NN precision)
    assert min(rep["baseline"]["per_mode"][0]["axis_ratios"]) < 0.7 <= min(rep["final"]["per_mode"][0]["axis_ratios"])
    assert rep["baseline"]["metrics"]["precision"] < rep["final"]["metrics"]["precision"]
    assert "ran the patched program train.py" in out
    assert "ganlint-verify" not in out  # no scratch path, not even in the program's own warnings


def test_a_patched_program_that_still_leaks_exits_1_naming_the_problem(tmp_path):
    proj = make_project(tmp_path / "proj", TRAIN.replace(*SECOND_LEAK))
    before = snapshot(proj)
    p = fix_verify(proj, "train.py", "--steps", STEPS, "--trials", "0", "--workers", "1")
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    # check's edit (the detach) was run as stage 1, and the patched program still leaks: the final run says
    # so, at the user's own file
    rep = json.loads((proj / "fix-report" / "fix-report.json").read_text())
    (stage,) = rep["stages"]
    assert [f["code"] for f in stage["fixes"]] == ["GL115"]
    assert "GL115" in stage["run"]["codes"] and "GL115" in rep["final"]["codes"] and rep["final"]["healthy"] is False
    problem = next(line for line in out.splitlines() if line.strip().startswith("problem: GL115"))
    assert "train.py:" in problem and "ganlint-verify" not in out
    after = snapshot(proj)
    assert {k: v for k, v in after.items() if k in before} == before
    if stage["kept"]:  # the one detach helped (less of D's gradient in G's update), but did not end the leak
        assert "discriminator(gen.detach()), fake)" in (proj / "train.fixed.py").read_text()
    else:
        assert "train.fixed.py" not in after


def test_a_crash_names_the_users_file_and_line(tmp_path):
    crash = TRAIN.replace("        d_loss.backward()\n", "        d_loss.backward()\n        raise ValueError('boom')\n")
    proj = make_project(tmp_path / "proj", crash)
    before = snapshot(proj)
    p = fix_verify(proj, "train.py", "--steps", "20", "--trials", "0", "--workers", "1")
    assert p.returncode == 2, p.stdout + p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    line = crash.splitlines().index("        raise ValueError('boom')") + 1
    assert len(errors) == 1 and f"train.py:{line}: ValueError: boom" in errors[0], p.stderr
    assert "ganlint-verify" not in p.stderr and "Traceback" not in p.stderr
    after = snapshot(proj)
    assert {k: v for k, v in after.items() if k in before} == before and "train.fixed.py" not in after


def test_a_folder_keeps_the_recipe_mode(tmp_path):
    """Only a program named on the command line is run; the mode choice reads the files, never imports them."""
    from ganlint.fix.program import training_program

    proj = make_project(tmp_path / "proj")
    (proj / "config.yaml").write_text("lr: 0.0002\n")
    train, nets = str(proj / "train.py"), str(proj / "nets.py")
    assert training_program([train], [train]) == train
    assert training_program([train, str(proj / "config.yaml")], [train]) == train
    assert training_program([str(proj)], [train, nets]) is None
    assert training_program([train], [train], recipe=True) is None
    assert training_program([nets], [nets]) is None
    assert training_program([str(proj)], [train, nets], run=True) == train


def test_scratch_copy_and_paths_back_to_the_user(tmp_path):
    """The copy holds the patched text, copies of small files and folders, links to big ones; a scratch path
    and a line of a patched file map back to the user's file and the line the user wrote."""
    from ganlint.fix.program import PathMap, make_scratch

    proj = make_project(tmp_path / "proj")
    big = proj / "data" / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(9 << 20)  # over the copy limit: linked
    src = (proj / "train.py").read_text()
    patched = src.replace("        optimizer_D.step()\n", "        optimizer_D.step()\n        print('added')\n")
    train = str(proj / "train.py")
    scratch = tmp_path / "scratch" / "project"
    make_scratch(str(proj), str(scratch), {train: patched}, skip=str(tmp_path / "scratch"))
    assert (scratch / "train.py").read_text() == patched and (proj / "train.py").read_text() == src
    assert not (scratch / "checkpoints").is_symlink() and (scratch / "checkpoints" / "generator.pt").is_file()
    assert not (scratch / "nets.py").is_symlink() and (scratch / "data" / "big.bin").is_symlink()
    pm = PathMap(str(scratch), str(proj), str(scratch), str(proj), {train: patched})
    lines = patched.splitlines()
    g_step = lines.index("        g_loss.backward()") + 1  # after the added line: one more than the user's
    assert src.splitlines()[g_step - 2] == "        g_loss.backward()"
    assert pm.text(f"train.py:{g_step}: RuntimeError: x") == f"train.py:{g_step - 1}: RuntimeError: x"
    added = lines.index("        print('added')") + 1
    assert pm.text(f"train.py:{added}: E") .endswith("(in a line ganlint's fix wrote)")
    assert pm.text(f"{scratch}/nets.py:3: E") == "nets.py:3: E"


def test_the_copy_mirrors_the_current_directory_when_it_holds_the_project(tmp_path):
    from ganlint.fix.program import mirror_root

    proj = make_project(tmp_path / "proj")
    (proj / "conf").mkdir()
    cfg = proj / "conf" / "gan.yaml"
    cfg.write_text("lr: 0.0002\n")
    train = str(proj / "train.py")
    assert mirror_root([train, str(cfg)], train, cwd=str(proj)) == str(proj)
    assert mirror_root([train, str(cfg)], train, cwd=str(tmp_path)) == str(tmp_path)  # the user runs proj/train.py
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert mirror_root([train, str(cfg)], train, cwd=str(elsewhere)) == str(proj)


def test_the_programs_own_arguments_come_after_the_double_dash(tmp_path):
    proj = make_project(tmp_path / "proj")
    # --n_epochs 0 reaches the program's parser: its loop never steps, which is an error to report (exit 2)
    p = fix_verify(proj, "train.py", "--steps", "5", "--trials", "0", "--workers", "1", "--", "--n_epochs", "0")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "without an optimizer step" in p.stderr and "Traceback" not in p.stderr
    p = fix_verify(proj, "train.py", "--steps", "5", "--trials", "0", "--workers", "1", "--", "--bogus")
    assert p.returncode == 2 and "rejected its arguments (unrecognized arguments: --bogus)" in p.stderr, p.stderr
    assert "ganlint fix --verify train.py [OPTIONS] -- ARGS" in p.stderr
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for args, msg in ((["train.py", "--run"], "--run/--recipe need --verify"),
                      (["--verify", "train.py", "--run", "--recipe"], "mutually exclusive"),
                      (["train.py", "--", "--lr", "1"], "for --verify")):
        q = subprocess.run([GANLINT, "fix", *args], cwd=proj, env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert q.returncode == 2 and msg in q.stderr and len(q.stderr.strip().splitlines()) == 1, q.stderr
    assert not (proj / "train.fixed.py").exists()


def test_the_patched_config_is_what_the_program_reads(tmp_path, monkeypatch):
    """The worker writes every patched input (config too) into the copy: the program, reading `conf/gan.yaml`
    by its relative path, sees the patched value; the user's file keeps its bytes."""
    from ganlint.fix.program import mirror_root, probe_program_texts

    proj = tmp_path / "proj"
    (proj / "conf").mkdir(parents=True)
    cfg = proj / "conf" / "gan.yaml"
    cfg.write_bytes(b"lr: 0.5\n")
    train = proj / "train.py"
    train.write_text("import torch\n\nlr = float(open('conf/gan.yaml').read().split(':')[1])\n"
                     "raise ValueError(f'the program read lr {lr}')\n")
    files = [str(train), str(cfg)]
    texts = {str(train): train.read_text(), str(cfg): "lr: 0.0002\n"}
    monkeypatch.chdir(proj)
    kw = {"steps": 5, "seed": 0, "program": str(train), "args": [], "cwd": str(proj),
          "mirror": mirror_root(files, str(train), str(proj))}
    d = probe_program_texts(texts, files, str(proj), kw, "stage 1")
    assert d["error"] == "train.py:4: ValueError: the program read lr 0.0002", d["error"]
    assert cfg.read_bytes() == b"lr: 0.5\n" and sorted(os.listdir(proj)) == ["conf", "train.py"]


def test_a_crash_below_a_line_the_fix_inserted_names_the_users_line(tmp_path, monkeypatch):
    from ganlint.fix.program import probe_program_texts

    train = tmp_path / "train.py"
    src = "import torch\n\nx = torch.zeros(2)\ny = x.view(3)\n"
    train.write_text(src)
    patched = src.replace("x = torch.zeros(2)\n", "x = torch.zeros(2)\nx = x + 0  # a line a fix inserted\n")
    monkeypatch.chdir(tmp_path)
    kw = {"steps": 5, "seed": 0, "program": str(train), "args": [], "cwd": str(tmp_path), "mirror": str(tmp_path)}
    d = probe_program_texts({str(train): patched}, [str(train)], str(tmp_path), kw)
    assert d["error"].startswith("train.py:4: RuntimeError: shape '[3]' is invalid"), d["error"]  # line 5 of the copy
    assert train.read_text() == src
