"""A deck file's front matter (YAML): its deck name, tags, `reverse` and description,
every way it can be malformed an error.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from markdown_it.token import Token

from flashcards.parser.checks import _Findings

FRONT_MATTER_KEYS = frozenset({"deck", "tags", "description", "reverse", "title"})


def _front_matter(toks: list[Token], lines: list[str], found: _Findings) -> dict:
    """The front matter as a mapping; every way it can be malformed is an error, so
    that no mistake in it silently puts the cards in another deck."""
    if not toks or toks[0].type != "front_matter":
        if lines and lines[0].rstrip() == "---":
            found.error(1, "front matter opened with `---` is never closed: end it with "
                        "a `---` line")
        return {}
    if not _front_closed(toks[0], lines):
        found.error(1, "front matter opened with `---` is never closed: end it with "
                    "a `---` line")
        return {}
    import yaml  # here: most deck files have no front matter, and yaml takes 9 ms to load

    try:
        data = yaml.load(toks[0].content, Loader=_front_matter_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or "invalid YAML"
        found.error(mark.line + 2 if mark else 1, f"malformed front matter: {reason}",
                    mark.column + 1 if mark else 1)
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        found.error(1, "front matter must be a mapping of `key: value` lines")
        return {}
    if _has_surrogate(data):
        found.error(1, "front matter holds an unpaired surrogate (a `\\ud800` escape): "
                       "it is not text any file or database can store")
        return {}
    known = ", ".join(sorted(FRONT_MATTER_KEYS))
    for key in data:
        if key not in FRONT_MATTER_KEYS:
            found.error(_front_line(toks[0], key), f"unknown front matter key {key!r} ({known})")
    _repeated_keys(toks[0], found)  # YAML keeps the last silently
    for key in ("description", "title"):
        if isinstance(data.get(key), list | dict):
            found.error(_front_line(toks[0], key), f"front matter `{key}:` must be text")
    return {key: value for key, value in data.items() if key in FRONT_MATTER_KEYS}


@functools.cache
def _front_matter_loader() -> type:
    """yaml's safe loader, refusing aliases.

    An alias repeats a node by reference, so a few hundred bytes of nested
    aliases (a "billion laughs") expand to more than memory holds once the
    parser walks the values; front matter has no use for them.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, "aliases (`*name`) are not allowed", self.peek_event().start_mark)
            return super().compose_node(parent, index)

    return Loader


def _has_surrogate(value: object) -> bool:
    """Whether a YAML escape made a lone surrogate: UTF-8 cannot encode it."""
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(map(_has_surrogate, value))
    return False


def _repeated_keys(token: Token, found: _Findings) -> None:
    seen: set[str] = set()
    for offset, text in enumerate(token.content.split("\n")):
        key = text.partition(":")[0].strip() if text[:1].isalnum() and ":" in text else ""
        if key and key in seen:
            found.error(offset + 2, f"front matter key {key!r} is given twice")
        seen.add(key)


def _front_closed(token: Token, lines: list[str]) -> bool:
    """The plugin takes an unclosed `---` block to the end of the file as front matter."""
    last = token.map[1] - 1 if token.map else 0
    return 0 < last < len(lines) and lines[last].rstrip() in ("---", "...")


def _front_line(token: Token | None, key: object) -> int:
    """The file line of a front matter key (1 if it cannot be found)."""
    if token is None or token.type != "front_matter":
        return 1
    for offset, line in enumerate(token.content.split("\n")):
        if line.startswith(f"{key}:"):
            return offset + 2
    return 1


def _deck_name(front: dict, default: str, found: _Findings, line: int) -> str:
    if "deck" not in front:
        return default
    name = front["deck"]
    if not isinstance(name, str) or not name.strip():
        found.error(line, "front matter `deck:` must be a non-empty name such as `Top::Sub`")
        return default
    parts = [part.strip() for part in name.split("::")]
    if not all(parts):
        found.error(line, f"deck name {name!r} has an empty part between `::`")
        return default
    return "::".join(parts)


def _front_tags(front: dict, found: _Findings, line: int) -> tuple[str, ...]:
    tags = front.get("tags", [])
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        found.error(line, "front matter `tags:` must be a list of words")
        return ()
    return _tag_words(str(t) for t in tags)


def _front_reverse(front: dict, found: _Findings, line: int) -> bool:
    value = front.get("reverse", False)
    if not isinstance(value, bool):
        found.error(line, "front matter `reverse:` must be true or false")
        return False
    return value


def _tag_words(tags: Iterable[str]) -> tuple[str, ...]:
    words = []
    for tag in tags:
        for word in tag.replace(",", " ").split():
            if word not in words:
                words.append(word)
    return tuple(words)
