"""Safe YAML reading that remembers where each value came from.

Curators need "briefs/investment.yaml:14: facts[2].quote: ..." rather than "invalid brief", so
mappings are loaded as :class:`Located` dicts that keep the line of every key. Only the safe
loader is used: a ``!!python/object`` tag is a load error, never executed.

Reading 10,000 briefs is a start-up cost, so the usual file (mappings, lists, text, dates) takes
a short road: libyaml parses and composes the node tree, and :func:`_plain` turns nodes into
Python values directly, about twice as fast as PyYAML's general constructor. Anything else
(merge keys, repeated anchors, binary or set tags, duplicate or non-text keys) goes the long way,
through the safe constructor, which gives the same values and the same errors.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .problems import clip

try:  # libyaml's parser is ~10x faster; the constructor stays the safe one
    from yaml import CSafeLoader as _BaseLoader
    from yaml._yaml import CParser

    _Parser: Any = CParser
except ImportError:  # pragma: no cover - libyaml missing: always the long way
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    _Parser = None


class Located(dict[str, Any]):
    """A mapping that knows the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(_BaseLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain words", key_node.start_mark
            )
        skey = str(key)
        if skey in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{clip(skey, 40)}'", key_node.start_mark
            )
        mapping[skey] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[skey] = key_node.start_mark.line + 1
    return mapping


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates stay text here so that an impossible one (2025-02-30) is reported with its field and
    # line by the brief reader, instead of failing the whole file inside the YAML library.
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SIMPLE_SCALARS = frozenset({"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                             "tag:yaml.org,2002:float"})


class _LongWay(Exception):
    """The short road cannot build this file exactly as the safe constructor would."""


_plain_tags: dict[str, str] = {}  # plain scalars repeat (keys); each one's tag is looked up once


class _Composer(_Parser or object, Resolver):  # type: ignore[misc]
    """libyaml's parser and composer with the safe loader's tag rules; builds nodes, no values."""

    # libyaml's composer calls these two hooks around every node, for path resolvers, which the
    # safe loader never registers. Builtins that ignore their arguments keep those calls (two
    # million at 10,000 briefs) in C: a tenth of the composing time.
    descend_resolver = operator.is_  # type: ignore[assignment]
    ascend_resolver = tuple  # type: ignore[assignment]

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        Resolver.__init__(self)

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and value is not None:
            if not implicit[0]:
                return _STR  # quoted or block text is always text
            tag = _plain_tags.get(value)
            if tag is None:
                tag = str(Resolver.resolve(self, kind, value, implicit))  # type: ignore[no-untyped-call]
                if len(_plain_tags) < 4096:
                    _plain_tags[value] = tag
            return tag
        if kind is MappingNode:  # untagged collections: what Resolver.resolve gives without path resolvers
            return _MAP
        if kind is SequenceNode:
            return _SEQ
        return str(Resolver.resolve(self, kind, value, implicit))  # type: ignore[no-untyped-call]


_scalars = SafeConstructor()  # for null, bool, int and float scalars: stateless between calls


def _plain(node: Node, seen: set[int]) -> Any:
    """The value of a node, as the safe loader with :func:`_construct_mapping` would build it."""
    cls = node.__class__
    if cls is ScalarNode:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):  # dates stay text, as in _construct_timestamp
            return node.value
        if tag in _SIMPLE_SCALARS:
            value = _scalars.construct_object(node)
            _scalars.constructed_objects.clear()
            return value
        raise _LongWay
    if id(node) in seen:  # an alias: the safe constructor shares the value (and stops recursion)
        raise _LongWay
    seen.add(id(node))
    if cls is MappingNode and node.tag == _MAP:
        mapping = Located()
        mapping.line = node.start_mark.line + 1
        key_lines = mapping.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag != _STR:
                raise _LongWay  # merge keys, numbers as keys: the long way reports them
            key = key_node.value
            if key in mapping:
                raise _LongWay  # reported there as a duplicate key, with its line
            mapping[key] = _plain(value_node, seen)
            key_lines[key] = key_node.start_mark.line + 1
        return mapping
    if cls is SequenceNode and node.tag == _SEQ:
        return [_plain(item, seen) for item in node.value]
    raise _LongWay


class YamlError(Exception):
    """A file that is not valid YAML, with the line where reading stopped."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def _expanded_size(root: Node, limit: int) -> int:
    """How many values and characters the node tree holds with every alias written out in full.

    Counted over the shared nodes (each once, children first, no recursion, so deep nesting is
    fine too); stops counting once past ``limit``; -1 for a recursive alias (endless). An alias bomb is a few nodes whose expansion
    is billions: this is what refuses it before any value is built or formatted.
    """
    size: dict[int, int] = {}
    open_nodes: set[int] = set()  # being counted: meeting one again is a cycle, an endless expansion
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        if isinstance(node, ScalarNode):
            size[key] = 1 + len(node.value)
            continue
        children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else list(node.value)
        if not children_done:
            if key in open_nodes:
                return -1
            open_nodes.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in open_nodes:
                    return -1
                if id(child) not in size:
                    stack.append((child, False))
            continue
        open_nodes.discard(key)
        total = 1
        for child in children:
            total += size.get(id(child), 0)
        size[key] = min(total, limit + 1)
    return size.get(id(root), 0)


def max_expanded_size(text: str) -> int:
    """The most a document may expand to: a generous multiple of its own length."""
    return 4 * len(text) + 10_000


def load_yaml(text: str, path: Path) -> Any:
    """Parse one YAML document safely; raise :class:`YamlError` with the line on failure.

    Aliases (``*name``) are allowed as long as the document, written out in full, stays within
    :func:`max_expanded_size`: a few kilobytes can never cost more than a few megabytes.
    """
    try:
        composer = _Composer(text) if _Parser is not None else _LineLoader(text)
        node = composer.get_single_node()
        if node is None:
            return None
        if _Parser is not None:
            try:
                return _plain(node, set())
            except _LongWay:
                pass
        limit = max_expanded_size(text)
        size = _expanded_size(node, limit)
        if size < 0:
            raise YamlError(path, node.start_mark.line + 1, "a recursive alias (*name inside its own &name)")
        if size > limit:
            raise YamlError(path, node.start_mark.line + 1,
                            "aliases (*name) expand this file far beyond its size; write the values out")
        loader = _LineLoader("")
        try:
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = clip(exc.problem or "invalid YAML", 120)
        if "could not determine a constructor" in problem or "!!python" in problem:
            problem = f"{problem} (tags that create Python objects are refused)"
        raise YamlError(path, line, problem) from None
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, clip(str(exc), 120)) from None
    except RecursionError:
        raise YamlError(path, 1, "nested too deeply") from None
