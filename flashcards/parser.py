"""Markdown text -> notes. The only module that knows the card syntax.

The parser works on text; the path is used only in messages. It never raises
for bad input: everything it finds is returned as a Problem with a line, so
one pass reports every mistake in a file. docs/format.md describes the syntax.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from markdown_it.token import Token

from flashcards.cards import CLOZE_OPENING, cloze_numbers, cloze_typos, replace_clozes, scan_clozes
from flashcards.mdit import tokens as markdown_tokens
from flashcards.model import DeckFile, Image, Note, NoteKind, Problem, Severity

META_COMMENT = re.compile(r"^\s*<!--\s*((?:id|tags|reverse)\b.*?)-->\s*$", re.S)
EXPLICIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
                         # an Anki GUID kept as it is (model.anki_id)
                         r"|^anki:(?:[!-$&-:<=?-~]|%[0-9A-Fa-f]{2}){1,255}$")
FRONT_MATTER_KEYS = frozenset({"deck", "tags", "description", "reverse", "title"})
# Minimum information principle: an answer you cannot recall in about ten
# seconds is several cards. These limits make the checker say so.
MAX_ANSWER_WORDS = 60
MAX_QUESTION_WORDS = 40
MAX_CODE_LINES = 15
# Fence info words that mark a code block as a fragment not meant to run.
NORUN_MARKERS = frozenset({"norun", "no-run"})


@dataclass(frozen=True)
class _Heading:
    level: int
    index: int  # of its heading_open token
    start: int  # 0-based first line
    end: int  # 0-based line after the heading
    text: str


class _Findings:
    """Collects problems for one file."""

    def __init__(self, path: str):
        self.path = path
        self.items: list[Problem] = []

    def error(self, line: int, message: str, column: int = 1) -> None:
        self.items.append(Problem(self.path, line, column, Severity.ERROR, message))

    def warning(self, line: int, message: str, column: int = 1) -> None:
        self.items.append(Problem(self.path, line, column, Severity.WARNING, message))


def parse(text: str, path: str = "<string>", *, default_deck: str = "Default") -> DeckFile:
    """Parse one deck file's text into notes and problems."""
    return parse_with_sides(text, path, default_deck=default_deck)[0]


@dataclass(frozen=True)
class SideTokens:
    """One note's question and answer as tokens of its file, for rendering.

    Rendering them gives the HTML of the side's text parsed on its own, without
    parsing it again. A side is None where the two could differ (a question that
    would read as a block, a card setting between two paragraphs, link references
    in the file): render its text instead.
    """

    question: list[Token] | None
    answer: list[Token] | None


def parse_with_sides(
    text: str, path: str = "<string>", *, default_deck: str = "Default"
) -> tuple[DeckFile, tuple[SideTokens, ...]]:
    """`parse`, plus each note's sides as tokens (the same order as the notes)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    found = _Findings(path)
    env: dict = {}
    toks = markdown_tokens(text, env)
    front = _front_matter(toks, lines, found)
    first = toks[0] if toks else None
    deck = _deck_name(front, default_deck, found, _front_line(first, "deck"))
    deck_tags = _front_tags(front, found, _front_line(first, "tags"))
    deck_reverse = _front_reverse(front, found, _front_line(first, "reverse"))
    _unclosed_fences(toks, lines, found)
    notes, sides = [], []
    headings = list(_headings(toks))
    references = bool(env.get("references"))
    for index, heading in enumerate(headings):
        if heading.level != 2:
            continue
        after = headings[index + 1] if index + 1 < len(headings) else None
        # A card's body: its tokens run from after the heading's three (open,
        # inline, close) to the next heading of either level.
        body = toks[heading.index + 3 : after.index if after else len(toks)]
        end = after.start if after else len(lines)
        note = _note(heading, toks[heading.index + 1], [tok for tok in body if tok.map], lines,
                     end, found, deck=deck, deck_tags=deck_tags, deck_reverse=deck_reverse)
        if note:
            notes.append(note)
            sides.append(_side_tokens(toks[heading.index + 1], note.question, body, lines,
                                      references=references))
    if not notes and not any(p.severity is Severity.ERROR for p in found.items):
        found.warning(1, "no cards found: a card starts with a level-2 heading (## Question)")
    description = front.get("description", "") if isinstance(front, dict) else ""
    deck_file = DeckFile(path, deck, str(description or ""), tuple(notes),
                         tuple(sorted(found.items)))
    return deck_file, tuple(sides)


# -- front matter -------------------------------------------------------------


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


# -- notes --------------------------------------------------------------------


def _headings(toks: list[Token]) -> Iterator[_Heading]:
    for i, tok in enumerate(toks):
        if tok.type == "heading_open" and tok.level == 0 and tok.tag in ("h1", "h2") and tok.map:
            yield _Heading(int(tok.tag[1]), i, tok.map[0], tok.map[1],
                           toks[i + 1].content.strip())


def _note(
    heading: _Heading,
    inline: Token,
    section: list[Token],
    lines: list[str],
    end: int,
    found: _Findings,
    *,
    deck: str,
    deck_tags: tuple[str, ...],
    deck_reverse: bool,
) -> Note | None:
    line = heading.start + 1
    meta, meta_lines = _metadata(section, found)
    answer = _answer_text(lines[heading.end : end], heading.end, meta_lines)
    question = heading.text
    if not question:
        found.error(line, "empty question: the heading has no text")
        return None
    numbers, broken = _cloze_numbers(question, answer, lines, heading.start, end, found)
    _check_inline_clozes(inline, lines, found)
    words, images = _check_tokens(section, lines, found)
    kind = NoteKind.BASIC
    ordinals: tuple[int, ...] = (1,)
    if numbers:
        kind, ordinals = NoteKind.CLOZE, tuple(sorted(numbers))
        if meta.get("reverse"):
            found.warning(line, "`reverse` has no effect on a cloze card")
    elif meta.get("reverse", deck_reverse):
        kind, ordinals = NoteKind.REVERSED, (1, 2)
    if broken:
        return None  # a cloze card with a broken marker: not "empty answer" too
    if not answer and kind is not NoteKind.CLOZE:
        found.error(line, "empty answer: write the answer below the heading")
        return None
    _check_length(question, words, line, found)
    return Note(
        kind=kind,
        question=question,
        answer=answer,
        deck=deck,
        path=found.path,
        line=line,
        tags=_tag_words([*deck_tags, *meta.get("tags", ())]),
        explicit_id=meta.get("id"),
        ordinals=ordinals,
        images=images,
    )


def _metadata(section: list[Token], found: _Findings) -> tuple[dict, set[int]]:
    """Read `<!-- id: x; tags: a, b; reverse -->` comments; return them and their lines."""
    meta: dict = {}
    lines: set[int] = set()
    for tok in section:
        match = META_COMMENT.match(tok.content) if tok.type == "html_block" else None
        if not match or tok.level != 0:
            continue
        lines.update(range(tok.map[0], tok.map[1]))
        for item in re.split(r"[;\n]", match.group(1)):
            _metadata_item(item.strip(), tok.map[0] + 1, meta, found)
    return meta, lines


def _metadata_item(item: str, line: int, meta: dict, found: _Findings) -> None:
    if not item:
        return
    key, _, value = (part.strip() for part in item.partition(":"))
    if key == "reverse":
        meta["reverse"] = value.lower() not in ("false", "no", "0")
    elif key == "tags":
        meta["tags"] = meta.get("tags", ()) + _tag_words([value])
    elif key == "id":
        if "id" in meta:
            found.error(line, "a card has two ids")
        elif not EXPLICIT_ID.match(value):
            found.error(line, f"invalid id {value!r}: use letters, digits, '-', '_', '.' or ':'"
                        " (or `anki:` and an Anki GUID)")
        else:
            meta["id"] = value
    else:
        found.warning(line, f"unknown card setting {key!r} (id, tags, reverse)")


def _answer_text(body_lines: list[str], first_line: int, skip: set[int]) -> str:
    kept = body_lines
    if skip:  # most cards have no settings
        kept = [text for offset, text in enumerate(body_lines) if first_line + offset not in skip]
    return "\n".join(kept).strip("\n").rstrip()


# -- sides as tokens -----------------------------------------------------------

# A heading's text that could start a block (list, quote, code, HTML, math, link
# reference...) when parsed alone: its HTML may not be the heading's inline text.
_BLOCK_START = re.compile(r"[-+*>#=_|~`<$\[]|\d{1,9}[.)]")
# Blocks whose content is their lines as written (a list or paragraph that runs
# over trailing blank lines renders the same without them). A fence is closed
# or left to the unclosed-fence rule.
_RAW_BLOCKS = frozenset({"code_block", "html_block", "math_block", "math_block_label"})


def _side_tokens(inline: Token, question: str, body: list[Token], lines: list[str], *,
                 references: bool) -> SideTokens:
    if references:  # resolved file-wide here, but not in one side parsed alone
        return SideTokens(None, None)
    if "\n" in question or _BLOCK_START.match(question):
        question_tokens = None
    else:
        question_tokens = [_block_token("paragraph_open", 1), inline,
                           _block_token("paragraph_close", -1)]
    return SideTokens(question_tokens, _answer_tokens(body, lines))


def _block_token(kind: str, nesting: int) -> Token:
    token = Token(kind, "p", nesting)
    token.block = True
    return token


def _answer_tokens(body: list[Token], lines: list[str]) -> list[Token] | None:
    """The body without its card settings, if it parses as the answer's text would.

    The answer's text leaves out the settings' lines, which between two blocks can
    join them into one; and it ends at its last non-blank character, which changes
    a block that keeps its trailing blank lines or spaces (an unclosed code fence).
    Such a side is parsed alone instead.
    """
    start, end = 0, len(body)
    while start < end and _is_setting(body[start]):
        start += 1
    while end > start and _is_setting(body[end - 1]):
        end -= 1
    kept = body[start:end]
    last = 0  # the line after the last block
    for tok in kept:  # one pass for all three, as it runs for every card
        if tok.type == "html_block" and _is_setting(tok):
            return None  # a setting between two blocks
        if tok.type == "fence" and not _fence_closed(tok, lines):
            return None
        if tok.map and tok.map[1] > last:
            last = tok.map[1]
    if not last:
        return kept
    if lines[last - 1] != lines[last - 1].rstrip():  # spaces the text's rstrip() removes
        return None
    file_end = len(lines) - 1 if lines[-1] == "" else len(lines)
    ending = {tok.type for tok in kept if tok.map and tok.map[1] == last}
    if "html_block" in ending:
        return None  # keeps its last newline, which the text lacks; nh3 may keep it
    if (not lines[last - 1] or last >= file_end) and _RAW_BLOCKS.intersection(ending):
        return None  # keeps the blank lines it ran over, or the file's last newline
    return kept


def _is_setting(tok: Token) -> bool:
    return tok.type == "html_block" and tok.level == 0 and bool(META_COMMENT.match(tok.content))


# -- checks -------------------------------------------------------------------


class _Located:
    """Text cut from the file at ``first_line`` (0-based): offsets to 1-based line, column."""

    def __init__(self, text: str, first_line: int):
        self.text = text
        self.first_line = first_line
        self._starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def error(self, found: _Findings, offset: int, message: str) -> None:
        row = bisect.bisect_right(self._starts, offset) - 1
        found.error(self.first_line + row + 1, message, offset - self._starts[row] + 1)


def _cloze_numbers(
    question: str, answer: str, lines: list[str], start: int, end: int, found: _Findings
) -> tuple[set[int], bool]:
    """The note's cloze numbers, and whether a marker is broken (each reported where it is).

    The markers are found in the note's lines as written, for their columns; the
    numbers in its question and answer, which the cards are made of.
    """
    if "{{" not in question and "{{" not in answer:
        return set(), False  # most cards have no clozes: skip the scans
    section = _Located("\n".join(lines[start:end]), start)
    typos = list(cloze_typos(section.text))
    for offset in typos:
        section.error(found, offset, "malformed cloze: write {{c1::answer}} (two colons)")
    clozes, unclosed = scan_clozes(section.text)
    for cloze in clozes:
        nested = CLOZE_OPENING.search(section.text, cloze.start + 1, cloze.end)
        if nested:
            section.error(found, nested.start(), "cloze inside a cloze: close the first "
                          "with }} before opening the next; clozes do not nest")
    if unclosed is not None:
        section.error(found, unclosed, "unclosed cloze: this {{c1:: needs its closing }}")
    numbers = cloze_numbers(question + "\n" + answer)
    if numbers and (0 in numbers or max(numbers) != len(numbers)):
        # Numbers can be huge ({{c99999999::}}): look for the missing ones among the few
        # that must be there, and name the first three.
        missing = [n for n in range(1, len(numbers) + 2) if n not in numbers][:3]
        gap = ", ".join(f"c{n}" for n in missing) if 0 not in numbers else "c0"
        where = next((c.start for c in clozes if c.number == 0 or c.number > missing[0]), 0)
        section.error(found, where, f"cloze numbers must start at c1 without gaps: no {gap}")
    return numbers, bool(typos or unclosed is not None)


def _check_inline_clozes(inline: Token, lines: list[str], found: _Findings) -> None:
    """A cloze inside inline code or math, in a heading or the body: Anki would not hide it."""
    if not inline.map or "{{" not in inline.content:
        return
    block: _Located | None = None
    cursor = 0
    for child in inline.children or ():
        if child.type not in ("code_inline", "math_inline", "math_inline_double"):
            continue
        inner = CLOZE_OPENING.search(child.content)
        if inner is None:
            continue
        block = block or _Located("\n".join(lines[inline.map[0] : inline.map[1]]),
                                  inline.map[0])
        # The span's text as written, after the previous one: where the cloze is.
        at = block.text.find(child.content, cursor)
        offset = at + inner.start() if at >= 0 else _first_opening(block.text, cursor)
        cursor = max(cursor, offset + 1)
        where = "code" if child.type == "code_inline" else "math"
        block.error(found, offset, f"cloze inside inline {where}: put the cloze around "
                    f"the whole {where}, as {{{{c1::`x`}}}} or {{{{c1::$x$}}}}")


def _first_opening(text: str, start: int) -> int:
    match = CLOZE_OPENING.search(text, start) or CLOZE_OPENING.search(text)
    return match.start() if match else 0


def _check_tokens(section: list[Token], lines: list[str],
                  found: _Findings) -> tuple[int, tuple[Image, ...]]:
    """Check clozes in code or math and code length; return the prose words and images.

    One pass over the tokens and their children for all of it: it runs for every card.
    """
    words, images = 0, []
    for tok in section:
        line = tok.map[0] + 1 if tok.map else 1
        if tok.type in ("fence", "code_block", "math_block") \
                and CLOZE_OPENING.search(tok.content):
            block = _Located("\n".join(lines[tok.map[0] : tok.map[1]]), tok.map[0])
            offset = _first_opening(block.text, 0)
            if tok.type == "math_block":
                block.error(found, offset, "cloze inside math: put the cloze around the "
                            "whole formula, as {{c1::$$x$$}}")
            else:
                block.error(found, offset, "cloze inside a code block: Anki would show it "
                            "as code, not hide it")
        if tok.type == "inline":
            _check_inline_clozes(tok, lines, found)
        for child in tok.children or ():
            if child.type == "text":
                if tok.type == "inline":
                    words += len(child.content.split())
            elif child.type == "image":
                images.append(Image(str(child.attrs.get("src", "")), line))
        if tok.type == "fence" and tok.content.count("\n") > MAX_CODE_LINES:
            lines_ = tok.content.count("\n")
            found.warning(line, f"code block of {lines_} lines (over {MAX_CODE_LINES}): "
                          "show only the lines the question is about")
    return words, tuple(images)


def _unclosed_fences(toks: list[Token], lines: list[str], found: _Findings) -> None:
    """A fence left open runs to the end of the file and swallows every card after it."""
    for tok in toks:
        if tok.type == "fence" and tok.map and not _fence_closed(tok, lines):
            found.warning(tok.map[0] + 1, f"code fence {tok.markup} is never closed: "
                          "it runs to the end of the file; close it with the same fence")


def _fence_closed(tok: Token, lines: list[str]) -> bool:
    last = lines[tok.map[1] - 1].strip() if tok.map[1] - 1 < len(lines) else ""
    return tok.map[1] - tok.map[0] >= 2 and last.startswith(tok.markup) \
        and set(last) == {tok.markup[0]}


def _check_length(question: str, words: int, line: int, found: _Findings) -> None:
    asked = len(question.split())
    if asked > MAX_QUESTION_WORDS:
        found.warning(line, f"question of {asked} words (over {MAX_QUESTION_WORDS}): "
                      "ask one thing, briefly")
    if words > MAX_ANSWER_WORDS:
        found.warning(line, f"answer of {words} words (over {MAX_ANSWER_WORDS}) is too long "
                      "to recall at once: split it into several cards or a cloze")


# -- cloze display ------------------------------------------------------------


def cloze_front(text: str, number: int) -> str:
    """The text with cloze `number` hidden as [...] (or [hint]) and the others shown."""
    return replace_clozes(
        text, lambda c: f"[{c.hint or '...'}]" if c.number == number else c.answer)


def cloze_back(text: str, number: int) -> str:
    """The text with cloze `number` revealed in bold and the others shown plainly."""
    return replace_clozes(text, lambda c: f"**{c.answer}**" if c.number == number else c.answer)


def cloze_answers(text: str) -> frozenset[str]:
    """The hidden parts of every cloze, the "answer side" of a cloze note."""
    return frozenset(cloze.answer.strip() for cloze in scan_clozes(text)[0])

