"""``python -m stream``: the same as the ``listing-monitor`` command."""

from stream.cli import main

if __name__ == "__main__":
    main()
