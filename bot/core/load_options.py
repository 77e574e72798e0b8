"""How to load the data: the cache folder, parse helpers, and what a data file may be.

A plain value built from the environment by :func:`bot.settings.load_options` (the core reads
no environment) and handed to :meth:`bot.core.library.Library.load`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..paths import PROJECT_ROOT
from .file_listing import DEFAULT_LIMITS, ReadLimits


@dataclass(frozen=True)
class LoadOptions:
    """How to load: where the cache lives (None: no cache file), parse helpers, what a data file may be.

    Built from the environment by :func:`bot.settings.load_options`; the core reads no environment.
    """

    cache_dir: Path | None = PROJECT_ROOT / ".safeer" / "cache"
    helpers: int | None = None  # parse helper processes; None: one per CPU beyond the first
    limits: ReadLimits = DEFAULT_LIMITS
