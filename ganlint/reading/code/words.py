"""Whole-word counts over a project's texts: how often a name is written anywhere (unused-object tests)."""
from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+")
_WORD_OR_DOT = re.compile(r"[\w.]")
_BARE_WORDS = re.compile(r"(?<![\w.])\w+")  # whole words not after a dot: `criterion`, not `self.criterion`
_ATTR_WORDS = re.compile(r"\.(\w+)")  # whole words right after a dot: the `criterion` of `self.criterion`


class WordCounts:
    """How often a whole word occurs in the project's texts. A few words: a literal search each (a leading
    look-behind would make the regex engine try every position); many (a file with a loss object per
    class): every word counted in one pass per text, instead of a scan of every file per word (quadratic)."""

    def __init__(self, texts: list[str], words: int):
        self.texts = texts
        self.many = words > 16
        self._bare: Counter | None = None
        self._attr: Counter | None = None

    def count(self, word: str, after_dot: bool, pattern: str) -> int:
        if not _WORD.fullmatch(word):  # not a plain word: the pattern itself, as written
            return sum(len(re.findall(pattern, t)) for t in self.texts)
        if not self.many:
            if after_dot:
                return sum(len(re.findall(pattern, t)) for t in self.texts)  # a literal prefix: fast
            # `word\b` found left to right, kept where no word character or dot precedes it: the matches of
            # `(?<![\w.])word\b` (one inside a longer word is preceded by a word character)
            found = re.compile(re.escape(word) + r"\b").finditer
            prev = _WORD_OR_DOT.match
            return sum(1 for t in self.texts for m in found(t) if not m.start() or not prev(t, m.start() - 1))
        if after_dot:
            if self._attr is None:
                self._attr = Counter()
                for t in self.texts:
                    self._attr.update(_ATTR_WORDS.findall(t))
            return self._attr[word]
        if self._bare is None:
            self._bare = Counter()
            for t in self.texts:
                self._bare.update(_BARE_WORDS.findall(t))
        return self._bare[word]

    def mentions(self, name: str) -> int:
        """Whole-word occurrences of `name`, bare (`opt_g.step()`) or after a dot (`self.opt_g`)."""
        return self.count(name, False, rf"(?<![\w.]){re.escape(name)}\b") + self.count(name, True, rf"\.{re.escape(name)}\b")
