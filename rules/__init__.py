"""The rule catalog: one file per rule (glNNN_<slug>.py), each exposing RULE.

Installed as the package `ganlint.rules` (see pyproject.toml); ganlint.checking.registry finds them.
"""
