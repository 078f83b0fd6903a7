"""``python -m flashcards`` runs the command line."""

if __name__ == "__main__":
    # Imported here, not above: a spawned process (the rebuild's second one,
    # history_rebuild.py) imports this module again, and needs none of the command line.
    from flashcards.cli import main

    main()
