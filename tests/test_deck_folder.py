"""Nothing read from a deck escapes its folder, and no file in it can hang a command.

Real symlinks, a real FIFO and links to devices, run through `check`, `sync`,
`export` and `review` as subprocesses with a timeout: a command that blocks on a
FIFO or reads /dev/zero without end fails the test instead of hanging it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flashcards.images import image_type

NOW = "2026-01-05T10:00:00+00:00"
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
SECRET = b"-----BEGIN PRIVATE KEY----- not for sharing"
# Long enough for a slow machine, short enough that a hang fails the run.
TIMEOUT = 120

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symlinks")


def run(*args: str, db: Path, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASHCARDS_DB": str(db), "FLASHCARDS_NOW": NOW, "FLASHCARDS_TZ": "UTC",
           "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "flashcards", *args], capture_output=True,
                            text=True, errors="replace", env=env, cwd=cwd, input=stdin,
                            timeout=TIMEOUT)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr
    return result


@pytest.fixture
def deck(tmp_path) -> Path:
    folder = tmp_path / "deck"
    folder.mkdir()
    (folder / "good.md").write_text("## What is a tensor?\n\nAn n-dimensional array.\n")
    return folder


@pytest.fixture
def secret(tmp_path) -> Path:
    private = tmp_path / "private"
    private.mkdir()
    (private / "id_rsa.png").write_bytes(PNG + SECRET)
    return private


def image_card(deck: Path, src: str) -> None:
    (deck / "pic.md").write_text(f"## Which picture?\n\n![p]({src})\n")


def exported_bytes(package: Path) -> bytes:
    with zipfile.ZipFile(package) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def assert_refused_everywhere(deck: Path, tmp_path: Path, words: str) -> None:
    """`check`, `sync` and `export` name pic.md:3 and the secret reaches no package."""
    db = tmp_path / "s.db"
    checked = run("check", str(deck), db=db, cwd=tmp_path)
    assert checked.returncode == 1 and "pic.md:3:1: error:" in checked.stdout
    assert words in checked.stdout
    synced = run("sync", str(deck), db=db, cwd=tmp_path)
    assert synced.returncode == 1 and words in synced.stderr
    package = tmp_path / "out.apkg"
    exported = run("export", str(deck), "-o", str(package), db=db, cwd=tmp_path)
    assert exported.returncode == 1 and words in exported.stderr
    assert not package.exists() or SECRET not in exported_bytes(package)


@pytest.mark.slow
def test_an_image_linked_to_a_file_outside_is_refused(deck, secret, tmp_path):
    (deck / "pic.png").symlink_to(secret / "id_rsa.png")
    image_card(deck, "pic.png")
    assert_refused_everywhere(deck, tmp_path, "is a link to a file outside the deck folder")


@pytest.mark.slow
def test_an_image_in_a_linked_folder_is_refused(deck, secret, tmp_path):
    (deck / "img").symlink_to(secret, target_is_directory=True)
    image_card(deck, "img/id_rsa.png")
    assert_refused_everywhere(deck, tmp_path, "is a link to a file outside the deck folder")


@pytest.mark.slow
def test_an_image_that_is_a_fifo_is_refused_without_blocking(deck, tmp_path):
    os.mkfifo(deck / "pic.png")
    image_card(deck, "pic.png")
    assert_refused_everywhere(deck, tmp_path, "is not a regular file")


@pytest.mark.slow
@pytest.mark.parametrize("content", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<html><body><script>alert(1)</script></body></html>",
    b"just text",
])
def test_an_image_whose_content_is_not_an_image_is_refused(deck, tmp_path, content):
    (deck / "pic.png").write_bytes(content)
    image_card(deck, "pic.png")
    assert_refused_everywhere(deck, tmp_path, "is not a PNG, JPEG, GIF or WebP image")


@pytest.mark.slow
def test_an_image_linked_inside_the_folder_is_exported(deck, tmp_path):
    (deck / "real.png").write_bytes(PNG)
    (deck / "pic.png").symlink_to(deck / "real.png")
    image_card(deck, "pic.png")
    db, package = tmp_path / "s.db", tmp_path / "out.apkg"
    assert run("check", str(deck), db=db, cwd=tmp_path).returncode == 0
    assert run("export", str(deck), "-o", str(package), db=db, cwd=tmp_path).returncode == 0
    assert PNG in exported_bytes(package)


@pytest.mark.parametrize(("head", "kind"), [
    (PNG, "png"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"), (b"GIF89a\x01\x00", "gif"),
    (b"GIF87a\x01\x00", "gif"), (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
    (b"<svg>", None), (b"RIFF\x24\x00\x00\x00WAVEfmt ", None), (b"", None),
])
def test_image_types_are_told_by_their_first_bytes(tmp_path, head, kind):
    (tmp_path / "x.png").write_bytes(head)
    assert image_type(tmp_path / "x.png") == kind


# -- deck files that are not regular files ------------------------------------------


def special_files(deck: Path) -> list[str]:
    """A FIFO and links to endless devices, all named like deck files."""
    os.mkfifo(deck / "fifo.md")
    (deck / "zero.md").symlink_to("/dev/zero")
    (deck / "random.md").symlink_to("/dev/urandom")
    return ["fifo.md", "zero.md", "random.md"]


@pytest.mark.slow
def test_special_files_are_reported_by_name_in_check_and_sync(deck, tmp_path):
    special_files(deck)
    db = tmp_path / "s.db"
    checked = run("check", str(deck), db=db, cwd=tmp_path)
    assert checked.returncode == 1
    assert "fifo.md:1:1: error: not a regular file" in checked.stdout, checked.stdout
    for name in ("zero.md", "random.md"):  # the devices are outside the folder, too
        assert f"{name}:1:1: error: is a link to a file outside the deck folder" \
            in checked.stdout, checked.stdout
    synced = run("sync", str(deck), db=db, cwd=tmp_path)
    assert synced.returncode == 1 and "fifo.md:1:1: error: not a regular file" in synced.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_named_on_the_command_line_is_not_read(tmp_path, device):
    (tmp_path / "cards.md").symlink_to(device)
    checked = run("check", str(tmp_path / "cards.md"), db=tmp_path / "s.db", cwd=tmp_path)
    assert checked.returncode == 1 and "cards.md:1:1: error: not a regular file" in checked.stdout


@pytest.mark.slow
def test_a_review_goes_on_beside_special_files(deck, tmp_path):
    db = tmp_path / "s.db"
    assert run("sync", str(deck), db=db, cwd=tmp_path).returncode == 0
    special_files(deck)  # appear after the first sync; the review's resync meets them
    reviewed = run("review", db=db, cwd=tmp_path, stdin="\n3\n")
    assert reviewed.returncode == 0, reviewed.stderr
    assert "fifo.md:1:1: error: not a regular file" in reviewed.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (1,)


def test_a_fifo_named_on_the_command_line_is_refused(tmp_path):
    os.mkfifo(tmp_path / "named.md")
    checked = run("check", str(tmp_path / "named.md"), db=tmp_path / "s.db", cwd=tmp_path)
    assert checked.returncode == 1 and "named.md:1:1: error: not a regular file" in checked.stdout


@pytest.mark.slow
def test_a_deck_file_linked_to_a_file_outside_is_not_read(deck, tmp_path):
    private = tmp_path / "private.md"
    private.write_text("## My bank PIN?\n\n1234\n")
    (deck / "notes.md").symlink_to(private)
    db = tmp_path / "s.db"
    checked = run("check", str(deck), db=db, cwd=tmp_path)
    assert "notes.md:1:1: error: is a link to a file outside the deck folder" in checked.stdout
    assert run("sync", str(deck), db=db, cwd=tmp_path).returncode == 1
