"""The bundled decks, installed with the package as ``flashcards.decks``.

This file only makes the folder importable so ``importlib.resources`` can find
the Markdown files next to it; it holds no code.
"""
