"""listing-monitor's streaming side: the Faust topology, rules, statistics and CLI."""

__version__ = "0.1.0"
