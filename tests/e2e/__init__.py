"""End-to-end tests: the real bot process against a local stand-in for Discord (never the real one)."""
