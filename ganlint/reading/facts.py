"""ProjectFacts: everything `check` knows about the user's files, gathered without running them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ganlint.core.types import Setting
from ganlint.reading.code.facts import CodeFacts
from ganlint.reading.programs import D_WORDS, ProgramFacts


# the loss a script selects (`flags.DEFINE_enum('loss', 'bce', loss_fns.keys())`): its default decides the
# family, not the options a loss-choice dict merely lists
_LOSS_KEYS = {"loss", "loss_fn", "loss_type", "gan_loss", "adversarial_loss", "loss_name", "criterion"}
_WASSERSTEIN_LOSSES = {"was", "wass", "wasserstein", "wgan", "wgan_gp", "wgangp", "wgan_clip", "wgan_div"}
_STANDARD_LOSSES = {"bce", "bce_logits", "bcewithlogits", "vanilla", "ns", "nsgan", "non_saturating", "hinge",
                    "softplus", "logistic", "lsgan", "ls", "gan", "dcgan", "standard"}


def chosen_loss_family(settings: list[Setting]) -> str | None:
    """"wgan" / "gan" when a loss-choice setting names a Wasserstein / standard GAN loss, else None."""
    found = None
    for s in settings:
        if s.leaf.lower() in _LOSS_KEYS and isinstance(s.value, str) and len(s.value) <= 40:
            name = s.value.strip().lower().replace("-", "_")
            if name in _WASSERSTEIN_LOSSES:
                found = "wgan"
            elif name in _STANDARD_LOSSES:
                found = "gan"
    return found


# evidence that a file is (part of) a GAN program, or trains a network that is neither an autoencoder nor a VAE
# a diffusion model's noise schedule (the cumulative product of the alphas) or its forward/reverse step
_DIFFUSION = re.compile(r"\b(?:alphas?_cumprod|alphas?_bar|q_sample|p_sample|DDPMScheduler|DDIMScheduler)\b")
# the words of a reinforcement-learning policy network's name (`Actor`, `actor_optimizer`, `PolicyNet`)
_ACTOR_WORDS = {"actor", "policy"}
_GAN_EVIDENCE = {"penalty", "clip", "bce", "saturating", "d_opt", "d_step", "net:player", "net:other"}


def _network_kind(n) -> str | None:
    """"net:vae" (a VAE by its name: VAE, BetaVAE, BIRVAE, VariationalAutoencoder), "net:ae" (an autoencoder),
    "net:encoder" / "net:decoder", "net:player" (a generator, a critic, an energy model), "net:other" (a module with
    no role: a GMMN, a classifier), or None (a plain class: a trainer, a config, a dataset)."""
    from ganlint.core.roles import name_tokens

    if n.role in ("generator", "critic", "energy"):
        return "net:player"
    if n.role == "vae":
        words = set(name_tokens(n.name))
        return "net:ae" if "autoencoder" in words and "variational" not in words else "net:vae"
    if n.role in ("encoder", "decoder"):
        return f"net:{n.role}"  # an autoencoder's half: both halves together make one (an encoder alone: SimCLR's)
    return "net:other" if n.is_module else None


@dataclass
class ProjectFacts(ProgramFacts):
    settings: list[Setting] = field(default_factory=list)
    code: CodeFacts = field(default_factory=CodeFacts)
    files: list[str] = field(default_factory=list)  # every file read, in order
    texts: dict[str, str] = field(default_factory=dict)  # file -> source text (for suppressions, fixes)

    # -- settings -------------------------------------------------------------------------
    def settings_for(self, canonical: str, role: str | None = "any") -> list[Setting]:
        """Settings whose vocabulary name is `canonical`.

        role="any": all of them; role=None: only role-less ones; role="critic": only the critic's.
        """
        out = [s for s in self.settings if s.canonical == canonical]
        if role != "any":
            out = [s for s in out if s.role == role]
        return out

    def setting(self, canonical: str, role: str | None = "any") -> Setting | None:
        """The last-written setting of that name (later files/lines override earlier ones)."""
        found = self.settings_for(canonical, role)
        return found[-1] if found else None

    def value(self, canonical: str, role: str | None = "any", default: Any = None) -> Any:
        s = self.setting(canonical, role)
        return default if s is None else s.value

    def setting_by_key(self, key: str) -> Setting | None:
        """A setting by the user's own key (full dotted key or its last part)."""
        hits = [s for s in self.settings if s.key == key] or [s for s in self.settings if s.leaf == key]
        return hits[-1] if hits else None

    def shallowest_setting(self, key: str) -> Setting | None:
        """The setting `settings["num_crit_training"]` reads: the shallowest one of that key (the top-level entry
        `setting.num_crit_training`, not a nested `setting.phases.late.num_crit_training` of the same name)."""
        hit = self.setting_by_key(key)
        if hit is None or hit.key == key:
            return hit
        nested = [s for s in self.settings if s.key.endswith("." + key)]
        return min(reversed(nested), key=lambda s: s.key.count(".")) if nested else hit

    def loss_flags_choose(self) -> str | None:
        """"wasserstein" / "other" as the flags choosing between a Wasserstein and another loss say (the default
        they parse; an unwritten or computed default says "other": unknown, so not a WGAN), None without such flags."""
        picks = {(c.value or "").strip().lower().replace("-", "_") in _WASSERSTEIN_LOSSES
                 for c in self.code.loss_choices}
        if not picks:
            return None
        return "wasserstein" if True in picks else "other"

    # -- families -------------------------------------------------------------------------
    def families(self) -> set[str]:
        """Model families present: from the code (losses, penalties, classes) and the settings."""
        from ganlint.reading.unused_definitions import live_code

        # a vendored module's GAN pieces that nothing uses (a pix2pix networks.py beside a score model) show none
        fams = set(live_code(self).families()) | self.settings_families()
        if "gan" not in fams and any("gan" in self.file_families(f) for f in self.files if f.endswith(".py")):
            fams.add("gan")  # a standard GAN script beside Wasserstein ones
        return fams

    def settings_families(self) -> set[str]:
        """Families the settings alone establish (precise: a key that only hints stays silent).

        - a family named by value: ``gan_mode: vanilla`` -> gan, ``loss: wgan-gp`` -> wgan-gp (vocabulary);
        - a numeric, positive gradient-penalty weight (``grad_penalty``, ``lambda_gp``) -> wgan-gp;
        - weight clipping (``clip_value``) together with critic updates (``n_critic``) -> wgan;
        - critic updates named after a critic (``n_critic``, ``CRITIC_ITERS``) and no penalty -> wgan
          (``d_steps`` alone also occurs in standard GANs: silent);
        - a KL weight (``kl_weight``, ``beta`` in a VAE section, ``omg_vae_alpha``) or a ``vae`` role -> vae;
        - an ``energy`` role with a temperature, an energy learning rate, or an energy scale/offset -> energy.
        """
        from ganlint.reading.vocabulary import family_from_value, tokens

        fams: set[str] = set()

        def number(v: Any) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool)

        canon: dict[str, list[Setting]] = {}
        roles: set[str] = set()
        for s in self.settings:
            fam = family_from_value(s.key, s.value)
            if fam:
                fams.add(fam)
            if s.canonical:
                canon.setdefault(s.canonical, []).append(s)
            if s.role:
                roles.add(s.role)
        if any(number(s.value) and s.value > 0 for s in canon.get("gp_weight", [])):
            fams.add("wgan-gp")
        n_critic = [s for s in canon.get("n_critic", []) if number(s.value)]
        if n_critic and "wgan-gp" not in fams:
            if any(number(s.value) for s in canon.get("clip_value", [])):
                fams.add("wgan")
            elif any("critic" in tokens(s.leaf) for s in n_critic):
                fams.add("wgan")
        if chosen_loss_family(self.settings) == "wgan":
            fams.add("wgan")  # `loss: was` selects a Wasserstein critic loss
        if any(number(s.value) for s in canon.get("kl_weight", [])) or "vae" in roles:
            fams.add("vae")
        energy_keys = [s for s in self.settings if s.role == "energy"]
        if any(s.canonical in ("temperature", "learning_rate", "energy_scale", "energy_offset") for s in energy_keys):
            fams.add("energy")
        return fams

    def file_families(self, file: str) -> set[str]:
        """Families one Python file shows on its own, from strong evidence only (a repository of separate
        scripts mixes a WGAN-GP with an LSGAN and a VAE: each script's settings belong to its own model).

        - a gradient penalty -> wgan-gp (gan when the file trains with BCE: DRAGAN); weight clipping -> wgan;
        - BCE / sigmoid+BCE / a saturating loss -> gan; a critic loop or a D step with no word of a penalty,
          clipping or Wasserstein in the file -> gan;
        - a KL term, a reparameterisation or exp(log-variance) -> vae; InfoNCE or Langevin sampling -> energy;
        - none of these, an optimizer, and networks that are all a VAE's or an autoencoder's by name (no generator,
          critic or other model among them): vae when one is named a VAE (BIRVAE), else "autoencoder" (a
          plain autoencoder trainer in a repository of GANs is neither a GAN nor a VAE program);
        - the file's own settings (``MODE = 'wgan-gp'``, ``LAMBDA = 10``).
        Empty when the file says nothing itself (a config module, a models file): then the project decides."""
        cache = self.__dict__.setdefault("_file_families", {})
        if file not in cache:
            cache[file] = self._families_from(file, self._evidence().get(file, set()))
        return cache[file]

    def _evidence(self) -> dict[str, set[str]]:
        """file -> the kinds of fact it holds, in one pass over the project's facts (linear, cached)."""
        if "_evidence_index" in self.__dict__:
            return self.__dict__["_evidence_index"]
        from ganlint.reading.unused_definitions import in_unused_definition, live_code
        from ganlint.reading.vocabulary import tokens

        c = live_code(self)  # (its networks and BCE files, too)
        index: dict[str, set[str]] = {}

        def mark(items, kind: str, keep=lambda x: True) -> None:
            for x in items:
                if keep(x) and not in_unused_definition(self, x):  # a definition nothing uses shows nothing
                    index.setdefault(x.location.file, set()).add(kind)

        mark(c.penalties, "penalty")
        mark(c.weight_clips, "clip")
        for f in c.bce_files():
            index.setdefault(f, set()).add("bce")
        mark(c.losses, "saturating", lambda l: l.kind == "saturating")
        mark(c.optimizers, "d_opt", lambda o: o.role == "critic" or bool(set(tokens(o.var or "")) & D_WORDS))
        mark(c.critic_loops, "d_step")
        mark(c.undetached_fakes, "d_step")
        for items in (c.kl_terms, c.reparameterisations, c.posterior_logvar_exps()):
            mark(items, "vae")
        mark(c.infonce, "energy")
        mark(c.langevin, "energy")  # sampling by the model's own input gradient: the project-level reading too
        mark(c.optimizers, "code")
        mark(c.optimizers, "optimizer")
        mark(c.networks_all, "code")
        mark(c.networks_all, "critic_net", lambda n: n.role == "critic")
        mark(c.networks_all, "maker_net", lambda n: n.role in ("generator", "decoder"))
        # an actor (policy) network or optimizer: reinforcement learning's actor-critic, whose critic is a value
        # function trained by regression (DDPG, TD3, SAC, A2C), not a GAN's discriminator
        mark(c.networks_all, "actor", lambda n: bool(set(tokens(n.name)) & _ACTOR_WORDS))
        mark(c.optimizers, "actor", lambda o: bool(set(tokens(o.var or "")) & _ACTOR_WORDS))
        for n in c.networks_all:  # what the file's own networks are, by name (one model per file)
            kind = _network_kind(n)
            if kind:
                kinds = index.setdefault(n.location.file, set())
                kinds.add(kind)
                if {"net:encoder", "net:decoder"} <= kinds:
                    kinds.add("net:ae")
        for file, text in self.texts.items():
            if file.endswith(".py") and _DIFFUSION.search(text):
                index.setdefault(file, set()).add("diffusion")
        settings: dict[str, list[Setting]] = {}
        for st in self.settings:
            settings.setdefault(st.location.file, []).append(st)
        self.__dict__["_settings_by_file"] = settings
        self.__dict__["_evidence_index"] = index
        return index

    def _families_from(self, file: str, ev: set[str]) -> set[str]:
        fams: set[str] = set()
        if "penalty" in ev:
            fams.add("gan" if "bce" in ev else "wgan-gp")
        if "clip" in ev:
            fams.add("wgan")
        if ev & {"bce", "saturating"}:
            fams.add("gan")
        chosen = chosen_loss_family(self.__dict__["_settings_by_file"].get(file, []))
        if not fams and chosen == "gan" and (ev & {"d_step", "d_opt"} or not file.endswith(".py")):
            fams.add("gan")  # the selected loss is a standard one, whatever else a loss-choice dict lists
        elif not fams and ev & {"d_step", "d_opt"} and "actor" in ev and chosen is None:
            fams.add("actor-critic")  # a value critic beside a policy: no GAN family's rule judges this file
        elif not fams and ev & {"d_step", "d_opt"} and chosen is None and not self._configs_say_wgan():
            low = self.texts.get(file, "").lower()
            if not any(w in low for w in ("penalty", "clamp", "clip", "wasserstein", "wgan", "lipschitz")):
                fams.add("gan")
        fams |= ev & {"vae", "energy"}
        if fams == {"vae"} and {"critic_net", "maker_net"} <= ev and file not in self.training_files():
            fams.add("gan")  # a VAE-GAN's or an ALI's models file (it trains nothing): its discriminator is a GAN's
        if not fams and "optimizer" in ev and ev & {"net:vae", "net:ae"} and not ev & _GAN_EVIDENCE:
            # a trainer of a VAE-named model (its KL hand-written elsewhere, or an MMD instead) or of a plain
            # autoencoder, beside GAN scripts: not a GAN program; a plain autoencoder is no VAE either
            fams.add("vae" if "net:vae" in ev else "autoencoder")
        own = ProjectFacts(settings=self.__dict__["_settings_by_file"].get(file, [])).settings_families()
        if "penalty" not in ev and "code" in ev:
            own.discard("wgan-gp")  # BEGAN's `lam` is no penalty weight when the script computes no penalty
        if "bce" in ev and "clip" not in ev:
            own.discard("wgan")  # a BCE-trained script's `n_critic = 1` counts D steps of a standard GAN
        fams |= own
        if "diffusion" in ev and fams <= {"vae"} and "net:vae" not in ev:
            # a diffusion model's variational bound (its posterior's log-variance, a KL between Gaussians) makes
            # it no VAE: the VAE rules' settings (KL weight, clip, learning rate) are not a diffusion model's
            return {"diffusion"}
        return fams

    def trains_wasserstein_critic(self, file: str, called: bool = False) -> bool:
        """The file's own code trains a Wasserstein critic: weight clipping, or a WGAN-GP penalty ((||g|| - 1)^2
        or a function named for it), and no BCE on the discriminator (DRAGAN's penalty is a standard GAN's).
        `called`: a two-sided penalty function of another file that a loop of this file calls counts too
        (`gp = utils.grad_penalty(D, real, fake)`)."""
        code = self.code
        if code.trains_with_bce(file):
            return False
        if any(w.location.file == file for w in code.weight_clips):
            return True
        for g in code.penalties:
            name = (g.function or "").lower()
            if g.location.file == file and (g.two_sided or "gradient_penalty" in name or "gp" in name.split("_")):
                return True
            if called and g.two_sided and g.function and (file, g.function.rsplit(".", 1)[-1]) in code.file_loop_calls \
                    and not code.trains_with_bce(g.location.file):
                return True
        return False

    def training_files(self) -> set[str]:
        """The Python files with an optimizer, a backward, an optimizer step or a Lightning `.fit(` of their own."""
        training = self.__dict__.get("_training_files")
        if training is None:
            code = self.code
            training = {m.location.file for items in (code.optimizers, code.backward_calls, code.optimizer_steps)
                        for m in items}
            training |= {f for f, text in self.texts.items() if f.endswith(".py") and ".fit(" in text}
            self.__dict__["_training_files"] = training
        return training

    def trains_nothing(self, file: str) -> bool:
        """A top-level script that trains nothing while the project trains elsewhere (an infer.py or analyze.py
        that loads the trained model): no optimizer, backward, step or `.fit(` of its own, imported by no
        project file, and importing no project file that trains (a main.py calling train.py's `train()` trains)."""
        if not file.endswith(".py"):
            return False
        training = self.training_files()
        if not training or file in training:
            return False
        from ganlint.reading.import_graph import import_graph

        importers = import_graph(self)
        if importers.get(file):
            return False
        return not any(file in importers.get(t, ()) for t in training)

    def selects_standard_loss(self, file: str) -> bool:
        """The file's own settings select a standard GAN loss (a flagfile's `--loss=bce`)."""
        self._evidence()
        return chosen_loss_family(self.__dict__["_settings_by_file"].get(file, [])) == "gan"

    def _configs_say_wgan(self) -> bool:
        """The configuration files (not Python) make the project a WGAN: their settings cover every script."""
        return bool(self._config_families() & {"wgan", "wgan-gp"})

    def is_family(self, *names: Iterable[str]) -> bool:
        return bool(self.families() & set(names))
