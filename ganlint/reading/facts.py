"""ProjectFacts: everything `check` knows about the user's files, gathered without running them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ganlint.core.types import Setting
from ganlint.reading.code.facts import CodeFacts


@dataclass
class ProjectFacts:
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

    # -- families -------------------------------------------------------------------------
    def families(self) -> set[str]:
        """Model families present: from the code (losses, penalties, classes) and the settings."""
        return set(self.code.families()) | self.settings_families()

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
        if any(number(s.value) for s in canon.get("kl_weight", [])) or "vae" in roles:
            fams.add("vae")
        energy_keys = [s for s in self.settings if s.role == "energy"]
        if any(s.canonical in ("temperature", "learning_rate", "energy_scale", "energy_offset") for s in energy_keys):
            fams.add("energy")
        return fams

    def is_family(self, *names: Iterable[str]) -> bool:
        return bool(self.families() & set(names))
