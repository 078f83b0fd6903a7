"""Reading deck files from disk: encodings, images, duplicates across files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flashcards.loader import MAX_FILE_BYTES, SourceFile, check, discover, read_file
from flashcards.model import FlashcardsError, Severity


def found(tmp_path: Path) -> list[tuple[str, int, str]]:
    return [(Path(p.path).name, p.line, p.message) for p in check([tmp_path])]


def test_not_utf8_points_at_the_line(tmp_path):
    (tmp_path / "bad.md").write_bytes(b"## Q\nA\n## Caf\xe9\nB\n")
    assert found(tmp_path) == [("bad.md", 3, "file is not valid UTF-8: save it as UTF-8")]


def test_nul_byte_is_an_error(tmp_path):
    (tmp_path / "bin.md").write_bytes(b"## Q\nA\x00\n")
    assert found(tmp_path) == [("bin.md", 2, "file contains a NUL byte: is it a binary file?")]


def test_byte_order_mark_is_accepted(tmp_path):
    (tmp_path / "bom.md").write_bytes("\ufeff## Q\nA\n".encode())
    assert found(tmp_path) == []


def test_oversized_file_is_refused(tmp_path):
    (tmp_path / "big.md").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    ((name, line, message),) = found(tmp_path)
    assert name == "big.md" and line == 1 and "larger than" in message


def test_a_file_of_the_largest_size_is_read_whole(tmp_path):
    data = b"## Q\n\n" + b"x" * (MAX_FILE_BYTES - 7) + b"\n"
    (tmp_path / "edge.md").write_bytes(data)
    assert read_file(SourceFile(tmp_path / "edge.md", tmp_path)) == (data, None)


def test_a_file_longer_than_its_stated_size_is_read_to_its_end():
    # /proc's files say 0 bytes: the read goes on past the size the file gives.
    proc = Path("/proc/version")
    if not proc.exists():
        pytest.skip("no /proc here")
    data, refused = read_file(SourceFile(proc, proc))
    assert refused is None and data and data == proc.read_bytes()


def _linked_deck(tmp_path: Path) -> Path:
    """A deck folder with links in and out of it, and a secret outside."""
    deck = tmp_path / "deck"
    (deck / "sub").mkdir(parents=True)
    (deck / "real.md").write_text("## Q\n\nA\n")
    (tmp_path / "secret.md").write_text("## PIN\n\n1234\n")
    (deck / "inside.md").symlink_to(deck / "real.md")
    (deck / "outside.md").symlink_to(tmp_path / "secret.md")
    (deck / "away").symlink_to(tmp_path, target_is_directory=True)
    return deck


@pytest.mark.parametrize(("name", "refused"), [
    ("real.md", False),
    ("inside.md", False),  # a link to a file in the folder
    ("outside.md", True),  # a link to a file outside it
    ("away/secret.md", True),  # a file under a linked folder that leads out
    ("sub/../real.md", False),  # `..` that stays in the folder
    ("sub/../../secret.md", True),  # `..` that leaves it
])
def test_a_deck_file_is_refused_only_where_its_real_path_leaves_the_folder(
        tmp_path, name, refused):
    deck = _linked_deck(tmp_path)
    data, why = read_file(SourceFile(Path(os.path.join(deck, name)), deck))
    if refused:
        assert (data, why) == (b"", "is a link to a file outside the deck folder: not read")
    else:
        assert (data, why) == (b"## Q\n\nA\n", None)


def test_a_deck_folder_named_through_a_link_reads_its_files(tmp_path):
    deck = _linked_deck(tmp_path)
    (tmp_path / "link-to-deck").symlink_to(deck, target_is_directory=True)
    root = tmp_path / "link-to-deck"
    assert read_file(SourceFile(root / "real.md", root)) == (b"## Q\n\nA\n", None)
    assert read_file(SourceFile(root / "outside.md", root))[0] == b""


def test_images_missing_outside_or_absolute(tmp_path):
    deck = tmp_path / "deck"
    (deck / "img").mkdir(parents=True)
    (deck / "img" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "secret.png").write_bytes(b"png")
    (deck / "cards.md").write_text(
        "## Fine\n![ok](img/ok.png)\n\n## Missing\n![m](img/nope.png)\n\n"
        "## Outside\n![o](../secret.png)\n\n## Absolute\n![a](/etc/passwd)\n\n"
        "## Remote\n![r](https://example.org/x.png)\n")
    assert found(deck) == [
        ("cards.md", 5, "image 'img/nope.png' not found"),
        ("cards.md", 8, "image '../secret.png' points outside the deck folder"),
        ("cards.md", 11, "image '/etc/passwd' must be a path relative to the deck file"),
    ]


def test_duplicate_ids_across_files_name_both_places(tmp_path):
    (tmp_path / "a.md").write_text("## One\n<!-- id: x -->\nA\n")
    (tmp_path / "b.md").write_text("## Two\n<!-- id: x -->\nB\n")
    problems = check([tmp_path])
    assert [(Path(p.path).name, p.severity) for p in problems] == [
        ("a.md", Severity.ERROR), ("b.md", Severity.ERROR)]
    assert problems[0].message.startswith("duplicate id 'x' (also at ")
    assert problems[0].message.endswith("b.md:1)")


def test_same_question_twice_in_a_deck_warns(tmp_path):
    (tmp_path / "a.md").write_text("## Q\nA\n\n## Q\nB\n")
    assert [p.severity for p in check([tmp_path])] == [Severity.WARNING, Severity.WARNING]


def test_the_same_card_in_other_decks_is_fine_but_not_twice_in_one(tmp_path):
    card = "## Q\nA\n"
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.md").write_text(card)  # three decks, named after the files
    (tmp_path / "b2.md").write_text(f"---\ndeck: b\n---\n{card}")
    (tmp_path / "a2.md").write_text(f"---\ndeck: a\n---\n{card}")
    problems = check([tmp_path])
    assert sorted(Path(p.path).name for p in problems) == ["a.md", "a2.md", "b.md", "b2.md"]
    assert all(p.message.startswith("duplicate card in one deck") for p in problems)


def test_discover_skips_readme_hidden_folders_and_survives_symlink_loops(tmp_path):
    (tmp_path / "README.md").write_text("## not a card\nx\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("## Q\nA\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cards.md").write_text("## Q\nA\n")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert [s.path.name for s in discover([tmp_path])] == ["cards.md"]
    assert discover([tmp_path])[0].default_deck == "sub::cards"


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FlashcardsError, match="no such file or folder"):
        discover([tmp_path / "nope"])


def test_check_finds_the_same_problems_in_parallel_as_in_one_process(tmp_path, monkeypatch):
    import flashcards.loader as loader

    for number in range(70):  # above PARALLEL_FILES: parsed in a process pool
        card = f"## Q{number}\n<!-- id: n{number % 60} -->\nA\n"
        (tmp_path / f"d{number:02}.md").write_text(card)
    (tmp_path / "d05.md").write_text("## Broken {{c1::cloze\n")
    parallel = check([tmp_path])
    monkeypatch.setattr(loader, "PARALLEL_FILES", 10_000)
    assert parallel == check([tmp_path])
    # The broken card (one error: the unclosed cloze), and both places of nine repeated ids.
    assert len(parallel) == 1 + 2 * 9


@pytest.mark.parametrize(("text", "words"), [
    ("## Q?\n\n" + "<div>\n" * 60_000, "lines (over 50,000)"),
    ("## Q?\n\n" + "[" * 200_000, "`[` (link and image openings) (over 10,000)"),
    ("## Q?\n\n" + "|a" * 5_000 + "|\n" + "|-" * 5_000 + "|\n" + "|b" * 5_000 + "|\n"
     + ("|c" * 5_000 + "|\n") * 2, "`|` (table cells) (over 20,000)"),
    ("## Q?\n\n" + "*a" * 30_000 + "_b" * 30_000, "inline markup characters"),
])
def test_a_file_too_costly_to_parse_is_refused_with_its_cap(tmp_path, text, words):
    """Shapes markdown-it-py parses slowly (docs/security.md has the figures)."""
    (tmp_path / "dense.md").write_text(text)
    ((name, line, message),) = found(tmp_path)
    assert name == "dense.md" and words in message and "split it" in message


@pytest.mark.slow
def test_a_file_at_every_cap_is_parsed(tmp_path):
    (tmp_path / "edge.md").write_text(
        "## Links?\n\n" + "[a](b) " * 3_000 + "\n\n## Table?\n\n" + "|a|b|\n|-|-|\n"
        + "|c|d|\n" * 3_000 + "\n## Stars?\n\n" + "*a* " * 10_000 + "\n")
    assert not [m for _, _, m in found(tmp_path) if "(over 10,000)" in m or "lines (" in m
                or "over 20,000" in m or "markup" in m]
