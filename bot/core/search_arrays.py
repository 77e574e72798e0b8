"""Array helpers of the search index: orders and letter masks computed with numpy, so that
building an index of 10,000 briefs in a worker thread never holds the GIL for long (see
:mod:`bot.core.search` for how they are used)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def string_order(strings: Sequence[str]) -> list[int]:
    """The stable sorting order of ``strings``: ``sorted(range(n), key=strings.__getitem__)``.

    One ``sorted()`` of 85,000 strings holds the GIL for 30-60 ms, and an index built in a worker
    thread must not stall the event loop that long. So: numpy sorts on the first 8 UTF-8 bytes
    (UTF-8 byte order is code point order, which is ``str`` order) without the GIL, and Python
    sorts only each run of strings that share those 8 bytes, one short run at a time.
    """
    n = len(strings)
    if n == 0:
        return []
    heads = b"".join([w.encode("utf-8", "surrogatepass")[:8].ljust(8, b"\0") for w in strings])
    keys = np.frombuffer(heads, dtype=">u8")
    order = np.argsort(keys, kind="stable")
    ordered_keys = keys[order]
    cuts = np.flatnonzero(ordered_keys[1:] != ordered_keys[:-1]) + 1
    out: list[int] = order.tolist()
    start = 0
    for end in [*cuts.tolist(), n]:
        if end - start > 1:
            out[start:end] = sorted(out[start:end], key=strings.__getitem__)
        start = end
    return out


def letter_mask(word: str) -> int:
    """One bit per distinct letter (a–z, 0–9; other letters share 28 bits by code point)."""
    mask = 0
    for ch in word:
        o = ord(ch)
        if 97 <= o <= 122:
            mask |= 1 << (o - 97)
        elif 48 <= o <= 57:
            mask |= 1 << (o - 48 + 26)
        else:
            mask |= 1 << (36 + o % 28)
    return mask


def in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """For each of ``keys``, whether it is in ``sorted_keys`` (ascending)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[at] == keys)


def letter_masks(words: Sequence[str], block: int = 4096) -> np.ndarray:
    """:func:`letter_mask` of many words at once, with numpy on their code points.

    Words up to 48 characters (all real ones) go through numpy in blocks; longer ones one by one.
    """
    out = np.zeros(len(words), dtype=np.uint64)
    short = [k for k, w in enumerate(words) if len(w) <= 48]
    for start in range(0, len(short), block):
        ids = short[start : start + block]
        chunk = [words[k] for k in ids]
        width = max(1, *map(len, chunk))
        codes = np.array(chunk, dtype=f"<U{width}").view(np.uint32).reshape(len(chunk), width).astype(np.int64)
        bits = np.where((codes >= 97) & (codes <= 122), codes - 97,
                        np.where((codes >= 48) & (codes <= 57), codes - 48 + 26, 36 + codes % 28))
        masks = np.where(codes == 0, np.uint64(0), np.left_shift(np.uint64(1), bits.astype(np.uint64)))
        out[ids] = np.bitwise_or.reduce(masks, axis=1)
    for k, word in enumerate(words):
        if len(word) > 48:
            out[k] = letter_mask(word)
    return out
