"""``python -m flashcards`` runs the command line."""

if __name__ == "__main__":
    # No process of ours imports this module again: a large replay's second process and
    # optimize's fit worker run modules of their own (replay_worker.py,
    # fsrs/fit_worker.py), and multiprocessing's spawn never reruns a package's
    # __main__ (multiprocessing/spawn.py, _fixup_main_from_name).
    from flashcards.cli import main

    main()
