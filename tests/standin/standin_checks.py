"""Checks on what the bot sends Discord: each request body against Discord's own OpenAPI 3.1 spec
(vendored as ``discord-openapi.json``, see ``DISCORD-OPENAPI-LICENSE.md``), then Discord's documented
limits, checked independently because the spec states some of them loosely or not at all.

    checker = PayloadChecker.shared()   # spec parsed once per process; validators compiled once per operation
    problems = checker.check("POST", "/channels/1/messages", body, files=["files[0]"])

``check`` returns a list of one-line problems (empty when all is well), each starting with the
operation, e.g. ``POST /channels/{channel_id}/messages: $.embeds[0].title: 300 characters, limit 256``.

Spec conventions honoured (from Discord's spec README): ``anyOf`` unions marked
``x-discord-union: oneOf`` mean one member, and ``integer`` fields also accept strings that parse as
integers (discord.py sends ``default_member_permissions`` as a string). Likewise snowflakes (strings
in the spec) accept non-negative integers, as the API does: discord.py sends upload attachment ids
as ``0, 1, …``. In a ``oneOf``, a digit string that fits a string member is not also an integer
(``nonce``). Formats (``uri``, ``date-time``…) are not asserted.

Limits checked beyond the spec: content ≤ 2000; ≤ 10 embeds; embed title ≤ 256, description ≤ 4096,
≤ 25 fields, field name ≤ 256, value ≤ 1024, footer ≤ 2048, author name ≤ 256, all embeds together
≤ 6000 characters; ``allowed_mentions`` present on every message-creating payload (and on edits
that set content) without ``everyone``, ``roles`` or ``users`` in ``parse``; component ``custom_id``
≤ 100, button label ≤ 80, select placeholder ≤ 150 and ≤ 25 options of ≤ 100 characters, ≤ 5 action
rows of ≤ 5 items; modal title ≤ 45; autocomplete ≤ 25 choices, name 1–100 characters, string value
≤ 100; command and option names lowercase and unique, required options before optional ones; every
uploaded ``files[n]`` listed in ``attachments``.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema  # type: ignore[import-untyped]  # no inline types; types-jsonschema is not installed
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("discord-openapi.json")
_SPEC_URI = "urn:discord-openapi"
_INT_STRING = re.compile(r"-?[0-9]+")


def _int_or_int_string(checker: Any, instance: object) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, str) and _INT_STRING.fullmatch(instance) is not None)


_BaseValidator: Any = jsonschema.Draft202012Validator
_base_one_of = _BaseValidator.VALIDATORS["oneOf"]


def _integer_only(schema: object) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind and "string" not in kind)


def _one_of(validator: Any, one_of: list[Any], instance: object, schema: Any) -> Iterator[ValidationError]:
    """``oneOf`` where an integer-like string that fits a string member is a string, not also an integer
    (``nonce`` is ``oneOf [integer, string, null]``; discord.py sends it as a string of digits)."""
    if isinstance(instance, str) and _INT_STRING.fullmatch(instance):
        others = [s for s in one_of if not _integer_only(s)]
        if len(others) < len(one_of) and any(next(validator.descend(instance, s), None) is None for s in others):
            one_of = others
    yield from _base_one_of(validator, one_of, instance, schema)


_Validator: Any = jsonschema.validators.extend(
    _BaseValidator,
    validators={"oneOf": _one_of},
    type_checker=_BaseValidator.TYPE_CHECKER.redefine("integer", _int_or_int_string),
)


def _pointer_part(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def _short(value: object, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    if isinstance(value, str) and len(value) > limit:
        return f"a string of {len(value)} characters ({value[:20]!r}…)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Operation:
    """One path template of the spec (``/channels/{channel_id}/messages``) and its compiled pattern."""

    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str]

    @classmethod
    def of(cls, template: str, item: dict[str, Any]) -> Operation:
        regex = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]+\})", template)
        )
        methods = frozenset(m.upper() for m in item if m in {"get", "put", "post", "patch", "delete"})
        return cls(template, re.compile(regex + "/?"), methods)


class OpenApiSpec:
    """Discord's OpenAPI document: path matching and request-body validation (cached per operation)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        schemas = dict(spec["components"]["schemas"])
        # Snowflakes are strings in the spec, but the API takes integers too, and discord.py sends the
        # attachment ids of an upload as integer indexes ({"id": 0, "filename": ...}), as Discord's docs do.
        schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]}
        spec = spec | {"components": spec["components"] | {"schemas": schemas}}
        self.spec = spec
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(spec))
        operations = [Operation.of(t, item) for t, item in spec["paths"].items()]
        # Literal segments beat parameters: /users/@me before /users/{user_id}.
        self._operations = sorted(operations, key=lambda o: (o.template.count("{"), -len(o.template)))
        self._validators: dict[tuple[str, str, str], Any] = {}

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> OpenApiSpec:
        with path.open(encoding="utf-8") as fh:
            return cls(json.load(fh))

    def template_for(self, method: str, path: str) -> str | None:
        """The spec's template for a concrete API path (without ``/api/v10``), or ``None``."""
        for op in self._operations:
            if method.upper() in op.methods and op.pattern.fullmatch(path):
                return op.template
        return None

    def _validator(self, method: str, template: str, media: str, where: str = "requestBody") -> Any:
        key = (method, template, media if where == "requestBody" else f"{where}:{media}")
        if key not in self._validators:
            pointer = "/".join(
                ["", "paths", _pointer_part(template), method.lower(), *where.split("/"), "content",
                 _pointer_part(media), "schema"]
            )
            ref = {"$ref": f"{_SPEC_URI}#{quote(pointer, safe='/~@')}"}
            self._validators[key] = _Validator(ref, registry=self._registry)
        return self._validators[key]

    def validate_response(self, method: str, template: str, status: int, body: Any) -> list[str]:
        """Problems with ``body`` as the ``status`` answer to ``method template`` (to keep the stand-in's
        own answers as Discord documents them)."""
        method = method.upper()
        where = f"{method} {template} -> {status}"
        responses = self.spec["paths"][template][method.lower()].get("responses", {})
        response = responses.get(str(status))
        if response is None:
            return [f"{where}: the spec documents no such status ({sorted(responses)})"]
        if "application/json" not in response.get("content", {}):
            return [] if body is None else [f"{where}: the spec documents no body"]
        errors = self._validator(method, template, "application/json", f"responses/{status}").iter_errors(body)
        return [f"{where}: {line}" for error in errors for line in _describe(error)]

    def validate(self, method: str, template: str, body: Any, *, multipart: bool = False) -> list[str]:
        """Problems with ``body`` as the request body of ``method template`` (``[]`` if valid)."""
        method = method.upper()
        operation = self.spec["paths"][template].get(method.lower(), {})
        request_body = operation.get("requestBody")
        where = f"{method} {template}"
        if request_body is None:
            return [] if body is None else [f"{where}: sends a body, but the operation takes none"]
        if body is None:
            return [f"{where}: the request body is required"] if request_body.get("required") else []
        content = request_body.get("content", {})
        media = "multipart/form-data" if multipart and "multipart/form-data" in content else "application/json"
        if media not in content:
            return [f"{where}: {media} is not accepted by this operation"]
        errors = list(self._validator(method, template, media).iter_errors(body))
        return [f"{where}: {line}" for error in errors for line in _describe(error)]


def _is_discriminator_miss(error: ValidationError) -> bool:
    """True when a union branch failed on its tag: the instance's type, or its ``type`` field's enum."""
    path = list(error.relative_path)
    if error.validator == "type" and not path:
        return True
    return path == ["type"] and error.validator in {"enum", "const", "type"}


def _describe(error: ValidationError) -> list[str]:
    """Readable lines for one error; unions are narrowed to the branch the payload was aiming at."""
    if error.validator in {"anyOf", "oneOf"} and error.context:
        branches: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.schema_path[0]].append(sub)
        aimed = [errs for errs in branches.values() if not any(_is_discriminator_miss(e) for e in errs)]
        if len(aimed) == 1:
            return [line for sub in aimed[0] for line in _describe(sub)]
        best = best_match(error.context)
        if best is not None and len(aimed) != 1:
            return [f"{error.json_path}: matches no member of the {error.validator} union; "
                    f"closest: {best.json_path}: {_message(best)}"]
    return [f"{error.json_path}: {_message(error)}"]


def _message(error: ValidationError) -> str:
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator in {"maxLength", "minLength"} and isinstance(instance, str):
        return f"{len(instance)} characters, {validator} {value}"
    if validator in {"maxItems", "minItems"} and isinstance(instance, list):
        return f"{len(instance)} items, {validator} {value}"
    if validator == "required":
        return str(error.message)
    return f"{_short(instance)} fails {validator}={_short(value, 80)}"


# --- Discord's limits, checked independently of the spec ------------------------------------------

_CREATE = "create"
_EDIT = "edit"

_MESSAGE_OPERATIONS: dict[tuple[str, str], str] = {
    ("POST", "/channels/{channel_id}/messages"): _CREATE,
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): _EDIT,
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): _CREATE,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): _EDIT,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): _EDIT,
}
_CALLBACK = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
_COMMAND_LISTS = {
    ("PUT", "/applications/{application_id}/commands"),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"),
}
_COMMAND_SINGLE = {
    ("POST", "/applications/{application_id}/commands"),
    ("POST", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("PATCH", "/applications/{application_id}/commands/{command_id}"),
    ("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}"),
}
_FORBIDDEN_PARSE = ("everyone", "roles", "users")


def _too_long(path: str, value: object, limit: int, what: str = "characters") -> Iterator[str]:
    if isinstance(value, str) and len(value) > limit:
        yield f"{path}: {len(value)} {what}, limit {limit}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def check_embeds(embeds: object, path: str) -> Iterator[str]:
    if not isinstance(embeds, list):
        return
    if len(embeds) > 10:
        yield f"{path}: {len(embeds)} embeds, limit 10"
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        here = f"{path}[{i}]"
        yield from _too_long(f"{here}.title", embed.get("title"), 256)
        yield from _too_long(f"{here}.description", embed.get("description"), 4096)
        total += len(_text(embed.get("title"))) + len(_text(embed.get("description")))
        footer, author = embed.get("footer"), embed.get("author")
        if isinstance(footer, dict):
            yield from _too_long(f"{here}.footer.text", footer.get("text"), 2048)
            total += len(_text(footer.get("text")))
        if isinstance(author, dict):
            yield from _too_long(f"{here}.author.name", author.get("name"), 256)
            total += len(_text(author.get("name")))
        fields = embed.get("fields")
        if isinstance(fields, list):
            if len(fields) > 25:
                yield f"{here}.fields: {len(fields)} fields, limit 25"
            for j, fld in enumerate(fields):
                if isinstance(fld, dict):
                    yield from _too_long(f"{here}.fields[{j}].name", fld.get("name"), 256)
                    yield from _too_long(f"{here}.fields[{j}].value", fld.get("value"), 1024)
                    total += len(_text(fld.get("name"))) + len(_text(fld.get("value")))
    if total > 6000:
        yield f"{path}: {total} characters across all embeds, limit 6000"


def check_components(components: object, path: str, *, top_level: bool = True, v2: bool = False) -> Iterator[str]:
    if not isinstance(components, list):
        return
    if top_level and not v2 and len(components) > 5:
        yield f"{path}: {len(components)} action rows, limit 5"
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        here = f"{path}[{i}]"
        kind = comp.get("type")
        yield from _too_long(f"{here}.custom_id", comp.get("custom_id"), 100)
        if kind == 1 and isinstance(comp.get("components"), list) and len(comp["components"]) > 5:
            yield f"{here}.components: {len(comp['components'])} items in an action row, limit 5"
        if kind == 2:
            yield from _too_long(f"{here}.label", comp.get("label"), 80)
        if kind in (3, 5, 6, 7, 8):
            yield from _too_long(f"{here}.placeholder", comp.get("placeholder"), 150)
            options = comp.get("options")
            if isinstance(options, list):
                if len(options) > 25:
                    yield f"{here}.options: {len(options)} options, limit 25"
                for j, opt in enumerate(options):
                    if isinstance(opt, dict):
                        for key in ("label", "value", "description"):
                            yield from _too_long(f"{here}.options[{j}].{key}", opt.get(key), 100)
        if kind == 4:
            yield from _too_long(f"{here}.label", comp.get("label"), 45)
            yield from _too_long(f"{here}.placeholder", comp.get("placeholder"), 100)
            yield from _too_long(f"{here}.value", comp.get("value"), 4000)
        for key in ("components", "accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                child = [child]
            yield from check_components(child, f"{here}.{key}", top_level=False, v2=v2)


def check_allowed_mentions(payload: dict[str, Any], path: str, *, required: bool) -> Iterator[str]:
    mentions = payload.get("allowed_mentions")
    if mentions is None:
        if required:
            yield f"{path}: allowed_mentions is missing (the bot must disable mentions globally)"
        return
    if not isinstance(mentions, dict):
        return
    parse = mentions.get("parse")
    for kind in _FORBIDDEN_PARSE:
        if isinstance(parse, list) and kind in parse:
            yield f"{path}.allowed_mentions.parse: contains {kind!r}; the bot must not ping {kind}"


def check_message(
    payload: object, path: str = "$", *, creating: bool, files: Sequence[str] = ()
) -> Iterator[str]:
    """A message body: create/edit in a channel, a follow-up, an interaction response's ``data``."""
    if not isinstance(payload, dict):
        return
    yield from _too_long(f"{path}.content", payload.get("content"), 2000)
    yield from check_embeds(payload.get("embeds"), f"{path}.embeds")
    flags = payload.get("flags")
    v2 = isinstance(flags, int) and bool(flags & (1 << 15))
    yield from check_components(payload.get("components"), f"{path}.components", v2=v2)
    yield from check_allowed_mentions(payload, path, required=creating or bool(payload.get("content")))
    attachments = payload.get("attachments")
    listed = {str(a.get("id")) for a in attachments if isinstance(a, dict)} if isinstance(attachments, list) else set()
    for name in files:
        index = name[len("files[") : -1] if name.startswith("files[") and name.endswith("]") else None
        if index is not None and index not in listed:
            yield f"{path}.attachments: no entry with id {index} for the uploaded part {name}"


def check_autocomplete(data: object, path: str) -> Iterator[str]:
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        return
    choices = data["choices"]
    if len(choices) > 25:
        yield f"{path}.choices: {len(choices)} choices, limit 25"
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            yield f"{path}.choices[{i}].name: {_short(name)} must be 1–100 characters"
        yield from _too_long(f"{path}.choices[{i}].value", choice.get("value"), 100)


def check_modal(data: object, path: str) -> Iterator[str]:
    if not isinstance(data, dict):
        return
    yield from _too_long(f"{path}.title", data.get("title"), 45)
    yield from _too_long(f"{path}.custom_id", data.get("custom_id"), 100)
    yield from check_components(data.get("components"), f"{path}.components")


def _check_options(options: object, path: str) -> Iterator[str]:
    if not isinstance(options, list):
        return
    seen: set[str] = set()
    optional_seen = False
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            continue
        here = f"{path}[{i}]"
        name = opt.get("name")
        if isinstance(name, str):
            if name != name.lower():
                yield f"{here}.name: {name!r} must be lowercase"
            if name in seen:
                yield f"{here}.name: {name!r} is used twice"
            seen.add(name)
        if opt.get("type") in (1, 2):
            yield from _check_options(opt.get("options"), f"{here}.options")
            continue
        if opt.get("required"):
            if optional_seen:
                yield f"{here}: required option {name!r} comes after an optional one"
        else:
            optional_seen = True


def check_command(command: object, path: str) -> Iterator[str]:
    if not isinstance(command, dict):
        return
    name = command.get("name")
    if command.get("type", 1) in (1, None) and isinstance(name, str) and name != name.lower():
        yield f"{path}.name: {name!r} must be lowercase for a slash command"
    yield from _check_options(command.get("options"), f"{path}.options")


def check_limits(method: str, template: str, body: Any, *, files: Sequence[str] = ()) -> list[str]:
    """Discord's limits for the payload of ``method template`` (see the module docstring)."""
    key = (method.upper(), template)
    where = f"{key[0]} {template}"
    problems: Iterable[str] = ()
    if key in _MESSAGE_OPERATIONS:
        problems = check_message(body, creating=_MESSAGE_OPERATIONS[key] == _CREATE, files=files)
    elif key == _CALLBACK and isinstance(body, dict):
        kind, data = body.get("type"), body.get("data")
        if kind == 4:
            problems = check_message(data, "$.data", creating=True, files=files)
        elif kind in (5, 6, 7) and data is not None:
            problems = check_message(data, "$.data", creating=False, files=files)
        elif kind == 8:
            problems = check_autocomplete(data, "$.data")
        elif kind == 9:
            problems = check_modal(data, "$.data")
    elif key in _COMMAND_LISTS and isinstance(body, list):
        names = [c.get("name") for c in body if isinstance(c, dict)]
        dupes = sorted({(c.get("type", 1), n) for c, n in zip(body, names, strict=True) if names.count(n) > 1})
        problems = [
            *(f"$: command {n!r} (type {t}) is registered twice" for t, n in dupes),
            *(p for i, c in enumerate(body) for p in check_command(c, f"$[{i}]")),
        ]
    elif key in _COMMAND_SINGLE:
        problems = check_command(body, "$")
    return [f"{where}: {p}" for p in problems]


class PayloadChecker:
    """The spec and the limits together; one shared instance per process (the spec is 1 MB)."""

    def __init__(self, spec: OpenApiSpec) -> None:
        self.spec = spec

    @classmethod
    @functools.cache
    def shared(cls) -> PayloadChecker:
        return cls(OpenApiSpec.load())

    def check(self, method: str, path: str, body: Any, *, files: Sequence[str] = ()) -> list[str]:
        """All problems with a request the bot sent. ``path`` is relative to ``/api/v10``; ``body`` is
        the parsed JSON (or ``payload_json`` of a multipart request, with ``files`` its file part names)."""
        template = self.spec.template_for(method, path)
        if template is None:
            return [f"{method.upper()} {path}: no such operation in Discord's OpenAPI spec"]
        multipart = bool(files)
        return self.spec.validate(method, template, body, multipart=multipart) + check_limits(
            method, template, body, files=files
        )
