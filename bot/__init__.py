"""Safeer: sourced briefs on Pakistan–Azerbaijan relations, for Discord and the terminal."""

__version__ = "0.1.0"
