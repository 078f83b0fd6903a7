"""``python -m flashcards`` runs the command line."""

if __name__ == "__main__":
    # Imported here, not above: a spawned worker process (optimize's fit) imports this
    # module too, and needs none of the command line (about 5 MB).
    from flashcards.cli import main

    main()
