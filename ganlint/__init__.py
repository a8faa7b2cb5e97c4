"""ganlint: a training-health linter and auto-tuner for generative models.

Importing ganlint is cheap and never imports torch; the probe and the fixer import it lazily.
"""
__version__ = "0.1.0"
