"""``python -m flashcards`` runs the command line."""

from flashcards.cli import main

main()
