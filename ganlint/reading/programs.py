"""What one program of a project is and shows: the files an entry point reaching a script imports, the
families their code and network roles speak for, and whether a script trains a game at all (a style-transfer
or classifier script of a GAN repository). Mixed into ProjectFacts (reading/facts.py)."""
from __future__ import annotations

import re

from ganlint.core.types import Setting


D_WORDS = {"d", "disc", "discriminator", "critic", "netd", "dis"}
# a top-level line that runs something: a script (`if __name__ == ...`, a loop, a call, `x = f(...)`)
_SCRIPT_LINE = re.compile(r"^(?:if __name__|for |while |with |[A-Za-z_][\w.]*[ \t]*\(|[A-Za-z_][\w.,\t ]*=[ \t]*[A-Za-z_][\w.]*\()", re.M)
_GAME_EVIDENCE = {"bce", "saturating", "penalty", "clip", "d_step", "d_opt"}


class ProgramFacts:
    """Program-level questions of ProjectFacts (its code, texts, settings and per-file families)."""

    def program_shows(self, file: str, families: set[str]) -> bool:
        """The program `file` belongs to shows one of `families` in some file's own code or network roles.
        The program: every project file that an entry point reaching `file` imports, transitively (an entry
        point: a file nobody imports that imports `file` directly or through others, or `file` itself). A
        classifier's training script beside a repository's GAN (mnist.py next to dcgan.py) shows none."""
        from ganlint.reading.import_graph import import_graph, imports_of, reach

        importers, imports = import_graph(self), imports_of(self)
        if not importers.get(file) and not _SCRIPT_LINE.search(self.texts.get(file, "")):
            return True  # a module of functions nobody here imports (a notebook calls them): its program is unknown
        ancestors = reach(importers, file)
        entries = [a for a in ancestors if not importers.get(a)] or list(ancestors)
        program: set[str] = set()
        for e in entries:
            program |= reach(imports, e)
        if self._config_families() & families:
            return True  # the configuration files' settings cover every script
        if families & {"gan", "wgan", "wgan-gp"} and _names_a_critic(self.texts.get(file)):
            return True  # `-netD(out).mean()`: the script may play a game its reader does not see
        roles = self._role_families()
        return any((self.file_families(f) | roles.get(f, set())) & families for f in program)

    def _config_families(self) -> set[str]:
        """The families the configuration files' settings (not Python's) speak for: they cover every script."""
        if "_config_families_cache" not in self.__dict__:
            cfg = type(self)(settings=[s for s in self.settings if not s.location.file.endswith(".py")])
            self.__dict__["_config_families_cache"] = cfg.settings_families()
        return self.__dict__["_config_families_cache"]

    def _role_families(self) -> dict[str, set[str]]:
        """file -> the families the roles of the networks it defines, builds or optimizes speak for (a
        Discriminator or a Generator: the GAN families; a VAE, encoder or decoder: vae; an energy model: energy)."""
        cached = self.__dict__.get("_role_families_index")
        if cached is None:
            from ganlint.core.roles import role_from_name

            by_role = {"generator": {"gan", "wgan", "wgan-gp"}, "critic": {"gan", "wgan", "wgan-gp"},
                       "vae": {"vae"}, "encoder": {"vae"}, "decoder": {"vae"}, "energy": {"energy"}}
            cached = {}
            code = self.code
            for file, role in [(n.location.file, n.role) for n in code.networks_all] + [
                    (c.location.file, role_from_name(c.cls) or role_from_name(c.var or "")) for c in code.constructions] + [
                    (o.location.file, o.role or role_from_name(o.network_var or "")) for o in code.optimizers]:
                if role in by_role:
                    cached.setdefault(file, set()).update(by_role[role])
            self.__dict__["_role_families_index"] = cached
        return cached

    def in_idle_main_block(self, s: Setting) -> bool:
        """The setting is written in the `if __name__ == "__main__":` block of a Python file that trains
        nothing itself (no optimizer, backward or step in it): a models file's shape check, not a training
        run's value (the file's trainers import it, and the block does not run then)."""
        file = s.location.file
        if not file.endswith(".py") or file in self.training_files():
            return False
        blocks = self.__dict__.setdefault("_main_blocks", {})
        if file not in blocks:
            blocks[file] = _main_block(self.texts.get(file, ""))
        start, end = blocks[file]
        return start < s.location.line <= end

    def trains_no_game(self, file: str) -> bool:
        """A Python script that trains a model it builds itself (an optimizer in it) with no sign of an adversarial
        game in its code: no BCE or saturating loss, penalty, clipping, critic loop or D step, and no
        discriminator or critic named by any identifier (comments and strings aside). A style-transfer or
        classifier script of a GAN repository: the GAN rules do not judge its settings."""
        cache = self.__dict__.setdefault("_no_game", {})
        if file not in cache:
            opts = [o for o in self.code.optimizers if o.location.file == file] if file.endswith(".py") else []
            # each optimizer trains a network this file builds itself (`tnet = TransformNet().to(device)`): an
            # optimizer over `self.parameters()` or a parameter's trains whatever its callers pass, perhaps a player
            text = self.texts.get(file, "")
            cache[file] = bool(opts) and all(o.network_var and re.search(  # `tnet, vgg = TNet(), VGG()` too
                rf"^[ \t]*(?:[\w.]+[ \t]*,[ \t]*)*{re.escape(o.network_var)}[ \t]*(?:,[ \t]*[\w.]+[ \t]*)*=[ \t]*"
                rf"[A-Za-z_][\w.]*\(", text, re.M) for o in opts) \
                and not any(self._trains_a_player(o) for o in opts) \
                and not self._evidence().get(file, set()) & _GAME_EVIDENCE and not _names_a_critic(self.texts.get(file))
        return cache[file]

    def _trains_a_player(self, o) -> bool:
        """The optimizer's own name, its network's or that network's class names a GAN player (`opt_g`,
        `netG.parameters()`, `gen = Generator()`)."""
        from ganlint.core.roles import role_from_name

        names = [o.var or "", o.network_var or ""] + [c.cls for c in self.code.constructions
                                                      if o.network_var and c.var == o.network_var]
        return o.role in ("generator", "critic") or any(
            role_from_name(n.rsplit(".", 1)[-1]) in ("generator", "critic") for n in names if n)

def _names_a_critic(text: str | None) -> bool:
    """Some identifier of the code names a discriminator or critic (`D(x)`, `netD`, `errD_real`, `disc`,
    `critic`); the `d` of a layer's `Conv2d` / `max_pool2d` is a dimension, and a one-letter `d` counts only
    when called or its attribute read (a tensor `d` the decoder returns is no network). Comments and strings
    aside; each distinct identifier is looked at once (one regex pass over the text, not a tokenizer)."""
    from ganlint.core.roles import name_tokens

    if text is None:
        return True
    code = _STRINGS_AND_COMMENTS.sub(" ", text)
    if _BARE_D_USED.search(code):
        return True
    for ident in set(_IDENT.findall(code)):
        if ident in ("d", "D"):
            continue
        words = name_tokens(ident)
        if set(words) & (D_WORDS - {"d"}) or {"adversarial", "gan"} & set(words):
            return True
        if any(w == "d" and not (i and words[i - 1].isdigit()) for i, w in enumerate(words)):
            return True
    return False


_STRINGS_AND_COMMENTS = re.compile(r"(?s)(\"\"\"|''').*?\1" r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|#[^\n]*")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_BARE_D_USED = re.compile(r"(?<!\w)[dD][ \t]*[(.]")


_MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""", re.M)


def _main_block(text: str) -> tuple[int, int]:
    """(the line of the module's `if __name__ == "__main__":`, the last line of its block); (0, 0) if none."""
    m = _MAIN_GUARD.search(text)
    if m is None:
        return 0, 0
    start = text.count("\n", 0, m.start()) + 1
    end = start
    for i, line in enumerate(text[m.end():].split("\n")[1:], start + 1):
        if line.strip() and not line[0].isspace() and not line.startswith("#"):
            break  # the next top-level statement ends the block
        end = i
    return start, end
