"""The error every face shows as one plain line: input a person can fix."""

from __future__ import annotations


class CommandError(ValueError):
    """Input a person can fix; the message says how."""
