"""What a validation error of a course file means, and where in the file it is.

msgspec reports the first problem as text ("Expected `float`, got `str` - at
`$.checks[2].eps`"). :func:`explain` turns it into the path of the value in the
parsed YAML (finding again the dict keys msgspec leaves out as ``[...]``) and a
sentence that says what to write instead; :mod:`grader.course` adds the file,
line and column.
"""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import msgspec

from grader.checkspec import CHECK_KINDS, PREDICATES, LocatedError

__all__ = ["decode_path", "explain"]


def decode_path(kind: type, value: Any) -> Any:
    """msgspec's ``dec_hook``: a :class:`~pathlib.Path` from a string or a path."""
    if kind is Path and isinstance(value, (str, Path)):
        return Path(value)
    raise NotImplementedError(f"cannot read a {kind.__name__}")


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\.\.\.)\]")
_NAMED = re.compile(r"field `([^`]+)`")


def explain(
    exc: msgspec.ValidationError, model: type[msgspec.Struct], data: Any
) -> tuple[tuple[Any, ...], str]:
    """Where in *data* the error is, and what to do about it."""
    match = _AT.match(str(exc))
    message = match["message"] if match else str(exc)
    loc, kind, value = _walk(model, data, _parse_path((match["path"] if match else None) or ""))
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, LocatedError):
        return (*loc, *cause.loc), str(cause)
    if isinstance(cause, ValueError):
        return loc, str(cause)
    named = _NAMED.search(message)
    if message.startswith("Object missing required field") and named:
        if named[1] == "predicate":
            return loc, "needs `predicate`, one of: " + ", ".join(PREDICATES)
        return (*loc, named[1]), "is required but missing; add it"
    if message.startswith("Object contains unknown field") and named:
        return (*loc, named[1]), (
            f"is not a known field; remove it or fix its spelling (see {model.__name__} docs)"
        )
    if loc and loc[-1] == "kind" and message.startswith("Invalid value"):
        return loc[:-1], (
            f"kind {value!r} is not a check kind; use one of: {', '.join(CHECK_KINDS)} "
            "(or leave out `kind` for a pytest check test_<name>)"
        )
    if loc and loc[-1] == "predicate" and message.startswith("Invalid value"):
        return loc[:-1], f"{value!r} is not allowed; use one of: {', '.join(PREDICATES)}"
    if message.startswith("Invalid enum value"):
        allowed = _literal_values(kind, value)
        listed = ", ".join(repr(v) for v in allowed) if allowed else "see the docs"
        return loc, f"{value!r} is not allowed; use one of: {listed}"
    if "matching regex" in message:
        if "\\$" in message:
            return loc, f"{value!r} is not allowed: use a number or '$name' of a parameter"
        return loc, (
            f"{value!r} is not allowed: use lower-case letters, digits and '_' "
            "(modules end in .py)"
        )
    wanted = re.match(r"Expected `([^`]+)`, got `([^`]+)`$", message)
    if wanted:
        return loc, f"must be {_kind(wanted[1])}, not {_kind(wanted[2])} (got {value!r})"
    bounded = re.match(r"Expected `([^`]+)` (.+)$", message)
    if bounded:
        return loc, f"must be {_kind(bounded[1])} {bounded[2]} (got {value!r}); change the value"
    return loc, f"{message[:1].lower()}{message[1:]} (got {value!r})"


_WORDS = {
    "float": "a number",
    "int": "an integer",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _kind(name: str) -> str:
    """msgspec's name of a type (``float | str``) in a student's words."""
    return " or ".join(_WORDS.get(part.strip(), part.strip()) for part in name.split("|"))


def _parse_path(text: str) -> list[Any]:
    parts: list[Any] = []
    for name, index, _unknown in _PART.findall(text):
        parts.append(name if name else int(index) if index else None)
    return parts


def _members(kind: Any, here: Any) -> Any:
    """*kind* without ``None`` and, for a union of structs, the member *here* is tagged as."""
    while get_origin(kind) in (Union, types.UnionType):
        members = [m for m in get_args(kind) if m is not type(None)]
        structs = [m for m in members if isinstance(m, type) and issubclass(m, msgspec.Struct)]
        if structs and isinstance(here, dict):
            tagged = [
                m
                for m in structs
                if m.__struct_config__.tag_field
                and here.get(m.__struct_config__.tag_field) == m.__struct_config__.tag
            ]
            kind = (tagged or structs)[0]
        elif len(members) == 1:
            kind = members[0]
        else:
            return None
    return kind


def _step(kind: Any, here: Any, part: Any) -> Any:
    """The type one step below *kind* (whose value is *here*) along *part*."""
    kind = _members(kind, here)
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return get_type_hints(kind).get(part) if isinstance(part, str) else None
    origin = get_origin(kind)
    if origin is list and isinstance(part, int):
        return get_args(kind)[0]
    if origin is dict:
        return get_args(kind)[1]
    return None


def _walk(
    model: type[msgspec.Struct], data: Any, parts: list[Any]
) -> tuple[tuple[Any, ...], Any, Any]:
    """The path *parts* leads to in *data*, with the type and the value found there.

    Each dict key that msgspec leaves out (``[...]``) is found again in *data*: the
    first key whose value does not validate.
    """
    loc: list[Any] = []
    kind: Any = model
    here = data
    for part in parts:
        if part is None and isinstance(here, dict):
            value_kind = _step(kind, here, None)
            part = next(
                (k for k, v in here.items() if not _valid(v, value_kind)), next(iter(here), "?")
            )
        loc.append(part)
        kind = _step(kind, here, part)
        here = _child(here, part)
    return tuple(loc), kind, here


def _valid(value: Any, kind: Any) -> bool:
    if kind is None:
        return True
    try:
        msgspec.convert(value, kind, dec_hook=decode_path)
    except (msgspec.ValidationError, TypeError):
        return False
    return True


def _child(here: Any, part: Any) -> Any:
    if isinstance(here, dict):
        return here.get(part)
    if isinstance(here, list) and isinstance(part, int) and part < len(here):
        return here[part]
    return None


def _literal_values(kind: Any, value: Any) -> tuple[Any, ...]:
    """The values a ``Literal`` field (or a list of them) allows."""
    kind = _members(kind, value)
    if get_origin(kind) is list:
        kind = get_args(kind)[0]
    return get_args(kind) if get_origin(kind) is Literal else ()
