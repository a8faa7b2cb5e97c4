"""Which families (gan, wgan, wgan-gp, vae, energy) the code of a project shows: penalties, clipping, BCE on a
discriminator, saturating losses, KL terms, InfoNCE and Langevin sampling, and the roles of its networks.
Mixed into CodeFacts (facts.py), whose fields it reads."""
from __future__ import annotations

from ganlint.core.roles import role_from_name


class FamilyEvidence:
    """The family questions of CodeFacts."""

    def families(self) -> set[str]:
        fams: set[str] = set()
        nets = self.networks
        roles = {n.role for n in nets} | {role_from_name(c.cls) for c in self.constructions}
        # a penalty in a file that trains with BCE is DRAGAN's (a standard GAN regularised), not a WGAN-GP's
        bce_files = self.bce_files()
        for g in self.penalties:
            if g.location.file in bce_files:
                fams.add("gan")
                continue
            fname = (g.function or "").lower()
            named_gp = ("gradient_penalty" in fname or "gp" in fname.replace("_", " ").split()
                        or fname.endswith("_gp") or fname.startswith("gp_"))
            if g.two_sided or (named_gp and "r1" not in fname and "r2" not in fname):
                fams.add("wgan-gp")  # (||grad|| - 1)^2; R1/R2 penalties regularise ordinary GANs
        if any(not w.skipped for w in self.weight_clips):  # clipping only under `if args.wass:` (off): no WGAN
            fams.add("wgan")
        gan_losses = any(l.kind in ("saturating", "nonsaturating") for l in self.losses) or bool(self.sigmoid_bces)
        # a VAE-GAN: the discriminator judges the decoder's output (its hand-written log loss is no BCE call)
        adversarial = "critic" in roles and "generator" in roles or bool(self.undetached_fakes) or bool(self.judged_fakes)
        if gan_losses or (adversarial and not fams & {"wgan", "wgan-gp"}):
            fams.add("gan")
        # an encoder/decoder pair alone is a plain autoencoder: a VAE shows a KL term or a reparameterisation
        if "vae" in roles and not all(_plain_autoencoder(n) for n in [x.name for x in nets if x.role == "vae"]
                                      + [c.cls for c in self.constructions if role_from_name(c.cls) == "vae"]):
            fams.add("vae")  # a VAE by name; an `Autoencoder` with no KL term anywhere is none (a GMMN's)
        if self.kl_terms or self.reparameterisations or self.posterior_logvar_exps():
            fams.add("vae")
        if "energy" in roles or self.infonce or self.langevin:
            fams.add("energy")
        return fams

    def bce_files(self) -> set[str]:
        """Files whose code computes a binary cross-entropy on a discriminator's output (a standard GAN's
        discriminator or generator loss; a VAE's BCE reconstruction does not count)."""
        files = {m.location.file for m in self.critic_bces}
        return files | {s.bce_location.file for s in self.sigmoid_bces}

    def trains_with_bce(self, file: str) -> bool:
        """The file trains a discriminator with BCE and clips no weights: its critic-named nets are standard
        GAN discriminators (DRAGAN's too), whatever other files of the project do."""
        return file in self.bce_files() and not any(w.location.file == file for w in self.weight_clips)

def _plain_autoencoder(name: str) -> bool:
    """`Autoencoder`, `ConvAutoEncoder`: an autoencoder's name that does not say variational."""
    from ganlint.core.roles import name_tokens

    words = name_tokens(name)
    return ("autoencoder" in words or {"auto", "encoder"} <= set(words)) and "variational" not in words \
        and not any(w.endswith("vae") for w in words)
