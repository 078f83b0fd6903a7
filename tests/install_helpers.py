"""Real installations of flashcards: its wheel, built once, installed into virtual
environments at folders of the test's choosing, and run through their own
`bin/flashcards` console script, as a user runs it after `pip install .`.

The runtime dependencies are not installed again into each environment (that
takes the index and most of a minute): a `.pth` file in the environment's
site-packages puts the test environment's site-packages after its own. A `.pth`
line only adds a folder to `sys.path`; the `.pth` files inside that folder are
not run, so the test environment's editable flashcards (a finder installed by
such a file) stays out, and `flashcards` is imported from the environment's
site-packages (`imported_from` says from where).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What setuptools reads to build the wheel: pyproject.toml and the files it names.
SOURCES = ("pyproject.toml", "README.md", "flashcards", "decks")


def _run(command: list[str | Path], *, env: dict[str, str] | None = None,
         stdin: str = "", cwd: Path | None = None, check_ok: bool = True):
    result = subprocess.run([str(part) for part in command], input=stdin, capture_output=True,
                            text=True, env=env, cwd=cwd, timeout=300)
    if check_ok:
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def _pip(*args: str | Path) -> list[str | Path]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]


def _copy_sources(target: Path) -> Path:
    """The sources in a folder of their own: the build's `build/` and `*.egg-info`
    stay out of the checkout, and nothing stale in them gets into the wheel."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def build_wheel(out: Path) -> Path:
    """flashcards' wheel, built from the checkout into ``out``."""
    wheel = ["wheel", "--no-deps", "--quiet", "--wheel-dir", out]
    # The test environment's setuptools when it is one pyproject.toml accepts (two
    # seconds); else pip's isolated build, which gets setuptools from the index
    # (ten seconds: `python3 -m venv` of Python 3.11 brings setuptools 65, too old).
    local = _run(_pip(*wheel, "--no-build-isolation", "--check-build-dependencies",
                      _copy_sources(out / "source-local")), check_ok=False)
    if local.returncode != 0:
        _run(_pip(*wheel, _copy_sources(out / "source-isolated")))
    (built,) = out.glob("flashcards-*.whl")
    return built


def _venv_path(venv: Path, name: str) -> Path:
    return Path(sysconfig.get_path(name, scheme="venv",
                                   vars={"base": str(venv), "platbase": str(venv)}))


def site_packages(venv: Path) -> Path:
    return _venv_path(venv, "purelib")


def _program(venv: Path, name: str) -> Path:
    """A program of the environment: `bin/NAME` (`Scripts\\NAME.exe` on Windows)."""
    return _venv_path(venv, "scripts") / (f"{name}.exe" if os.name == "nt" else name)


def _test_environment_sites() -> list[str]:
    """Where the test environment's own packages (the dependencies) are installed."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def install(venv: Path, wheel: Path) -> Path:
    """A new virtual environment at ``venv`` with ``wheel`` installed (not editable:
    the package and its bundled decks are copied into its site-packages)."""
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    # The test environment's pip installs into the new environment: its console
    # script starts the new environment's Python.
    _run(_pip("--python", _program(venv, "python"), "install", "--no-deps", "--quiet", wheel))
    (site_packages(venv) / "test-environment.pth").write_text(
        "\n".join(_test_environment_sites()) + "\n", encoding="utf-8")
    return venv


def _environment(**extra: str) -> dict[str, str]:
    """The caller's environment without what would choose another flashcards or store."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("FLASHCARDS_")
           and key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, "PYTHONNOUSERSITE": "1", **extra}


def run_flashcards(venv: Path, db: Path, *args: str, now: str, stdin: str = "") -> str:
    """``flashcards ARGS`` through the environment's console script on the store ``db``
    at the moment ``now`` (UTC, no colour), run in the store's folder (paths shown in
    full: none is under it); its output."""
    env = _environment(FLASHCARDS_DB=str(db), FLASHCARDS_NOW=now, FLASHCARDS_TZ="UTC",
                       NO_COLOR="1")
    db.parent.mkdir(parents=True, exist_ok=True)
    return _run([_program(venv, "flashcards"), *args], env=env, stdin=stdin,
                cwd=db.parent).stdout


def imported_from(venv: Path) -> list[Path]:
    """The files of `flashcards` and of its bundled decks as the environment's Python
    imports them, in the environment ``run_flashcards`` gives its console script."""
    code = "import flashcards, flashcards.decks as d; print(flashcards.__file__); print(d.__file__)"
    out = _run([_program(venv, "python"), "-c", code], env=_environment(),
               cwd=venv.parent).stdout
    return [Path(line) for line in out.splitlines()]
