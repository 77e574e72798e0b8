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

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

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
                None, None, f"duplicate key '{skey}'", key_node.start_mark
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


def load_yaml(text: str, path: Path) -> Any:
    """Parse one YAML document safely; raise :class:`YamlError` with the line on failure."""
    try:
        if _Parser is not None:
            try:
                node = _Composer(text).get_single_node()
                return None if node is None else _plain(node, set())
            except _LongWay:
                pass
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or "invalid YAML"
        if "could not determine a constructor" in problem or "!!python" in problem:
            problem = f"{problem} (tags that create Python objects are refused)"
        raise YamlError(path, line, problem) from None
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, str(exc)) from None
