"""Errors meant for the person at the keyboard, kept apart from bugs.

Anything raised as a :class:`UserError` is shown to the user as its one-line
message; anything else is a bug and goes to the log with a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any


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


def run_command(command: Any, argv: list[str] | None, prog: str) -> int:
    """Run a click command the way every CLI here does: a :class:`UserError` is one line on
    stderr and exit 2, click's own usage errors keep their exit 2, and a closed pipe
    (``… | head -1``) ends quietly instead of with a traceback."""
    import click

    try:
        result = command.main(args=argv, prog_name=prog, standalone_mode=False)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except click.exceptions.Exit as done:  # --help
        return done.exit_code
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        return 130
    except BrokenPipeError:
        # The reader went away: point stdout at /dev/null so the interpreter's final flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result if isinstance(result, int) else 0
