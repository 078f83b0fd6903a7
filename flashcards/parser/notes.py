"""Markdown text -> notes: a level-2 heading and its body make a note, with its card
settings (`<!-- id: x; tags: a, b; reverse -->`), and each note's sides as tokens.

The front matter is ``front_matter``; the problems and checks are ``checks``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it.token import Token

from flashcards.mdit import tokens as markdown_tokens
from flashcards.model import DeckFile, Note, NoteKind, Severity
from flashcards.parser.checks import (
    _check_inline_clozes,
    _check_length,
    _check_tokens,
    _cloze_numbers,
    _fence_closed,
    _Findings,
    _unclosed_fences,
)
from flashcards.parser.front_matter import (
    _deck_name,
    _front_line,
    _front_matter,
    _front_reverse,
    _front_tags,
    _tag_words,
)

META_COMMENT = re.compile(r"^\s*<!--\s*((?:id|tags|reverse)\b.*?)-->\s*$", re.S)
EXPLICIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
                         # an Anki GUID kept as it is (model.anki_id)
                         r"|^anki:(?:[!-$&-:<=?-~]|%[0-9A-Fa-f]{2}){1,255}$")


@dataclass(frozen=True)
class _Heading:
    level: int
    index: int  # of its heading_open token
    start: int  # 0-based first line
    end: int  # 0-based line after the heading
    text: str


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
