"""Errors meant for the person at the keyboard, kept apart from bugs.

Anything raised as a :class:`UserError` is shown to the user as its one-line
message; anything else is a bug and goes to the log with a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user (or operator) can fix; ``str(err)`` is the whole message."""


class CalcError(UserError):
    """A calculator expression that cannot or will not be evaluated."""


class InputError(UserError):
    """A message that is empty, too long or otherwise unusable."""


class StoreError(UserError):
    """The vector store is missing, unreachable or built by another model."""


class ModelError(UserError):
    """The embedding model cannot be loaded."""


class BackendError(UserError):
    """The configured LLM backend failed; callers fall back to the embedded answerer."""
