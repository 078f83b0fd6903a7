"""``python -m flashcards`` runs the command line."""

from flashcards.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module
    main()
