"""The interface every config document implements, and the errors the engine raises."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ganlint.core.errors import GanlintError


class EditError(GanlintError):
    """An edit that cannot be applied (missing key, unparsable file, conflicting edits)."""


@dataclass
class Entry:
    key: str  # dotted for nested trees
    value: Any
    line: int  # 1-based
    raw: str | None = None  # the value's source text


class ConfigDoc:
    """A parsed config file that can be edited and written back as the user wrote it."""

    style = "?"

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text

    # -- to implement ---------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        raise NotImplementedError

    def set(self, key: str, value: Any) -> bool:
        raise NotImplementedError

    def remove(self, key: str) -> bool:
        raise NotImplementedError

    def rename(self, key: str, new_key: str) -> bool:
        raise NotImplementedError

    def add(self, key: str, value: Any, near: str | None = None) -> bool:
        raise NotImplementedError

    def dump(self) -> str:
        raise NotImplementedError

    def needs_reload(self, edits: list) -> bool:
        """Whether `edits` must read this document from its own dump rather than from the loaded one (a
        document that keeps positions of the original text cannot place keys it added itself)."""
        return False

    # -- shared ---------------------------------------------------------------------------
    def resolve(self, target: str, *, required: bool = True) -> str | None:
        """The document's own key for `target`: exact, else a unique match on the last part(s)."""
        keys = [e.key for e in self.entries()]
        if target in keys:
            return target
        leaf = target.rsplit(".", 1)[-1]
        hits = [k for k in keys if k.rsplit(".", 1)[-1] == leaf]
        # a dotted target naming the container ("config.vae_lr") matches the bare key "vae_lr"
        if len(hits) == 1:
            return hits[0]
        tails = [k for k in hits if target.endswith("." + k) or k.endswith("." + target)]
        if len(tails) == 1:
            return tails[0]
        if required:
            where = "ambiguous" if hits else "not found"
            raise EditError(f"setting {target!r} {where}", self.path)
        return None

    def get(self, key: str) -> Entry | None:
        k = self.resolve(key, required=False)
        if k is None:
            return None
        for e in self.entries():
            if e.key == k:
                return e
        return None


class TreeDoc(ConfigDoc):
    """A document held as nested mappings (YAML, TOML): `remove` and `rename` work the same on both; a
    subclass gives `_tree` (the parsed document), `_new_mapping` (an empty table of its format) and
    `_rename_leaf` (renaming in place, keeping the key's position and whatever the format attaches to it).
    `entries()` of a big document is one walk per edit state (`_entry_cache`, cleared by every change): an
    edit asks for them several times (resolve, raw text, touched lines)."""

    _entry_cache: list[Entry] | None = None

    def _tree(self) -> Any:
        raise NotImplementedError

    def _new_mapping(self) -> Any:
        raise NotImplementedError

    def _check_mapping(self, node: Any, part: str) -> None:
        """Raise EditError when `node` (the value at `part` of a dotted key) cannot hold keys; the default
        leaves it to the format's own error."""

    def _parent(self, key: str, create: bool = False) -> tuple[Any, str]:
        """The mapping holding the dotted `key`, and its last part (missing tables made with `create`)."""
        parts = key.split(".")
        node = self._tree()
        for p in parts[:-1]:
            if p not in node:
                if not create:
                    raise EditError(f"setting {key!r} not found", self.path)
                node[p] = self._new_mapping()
            node = node[p]
            self._check_mapping(node, p)
        return node, parts[-1]

    def _rename_leaf(self, parent: Any, leaf: str, new_leaf: str) -> None:
        raise NotImplementedError

    def remove(self, key: str) -> bool:
        k = self.resolve(key, required=False)
        if k is None:
            return False
        parent, leaf = self._parent(k)
        del parent[leaf]
        self._entry_cache = None
        return True

    def rename(self, key: str, new_key: str) -> bool:
        k = self.resolve(key, required=False)
        if k is None:
            return False
        parent, leaf = self._parent(k)
        new_leaf = new_key.rsplit(".", 1)[-1]
        if new_leaf == leaf:
            return False
        if new_leaf in parent:
            raise EditError(f"cannot rename {key!r}: {new_leaf!r} exists", self.path)
        self._rename_leaf(parent, leaf, new_leaf)
        self._entry_cache = None
        return True
