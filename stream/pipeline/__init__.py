"""The judging pipeline: raw bytes in, alerts and dead letters out, no Faust.

``processor`` validates each message against the contract and hands valid
events to ``detector``, which runs the listing rules (``stream.rules``) and the
seller statistics (``stream.stats``) in named steps; ``policy`` turns reasons
into a score, a severity and an alert id and decides what is suppressed;
``limits`` bounds what is accepted and sent; ``metrics`` counts all of it.
"""
