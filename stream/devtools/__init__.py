"""Developer tooling, apart from the product: nothing in ``stream.pipeline``,
``stream.rules``, ``stream.stats`` or ``stream.topology`` imports it.

``local_kafka`` runs a single-node Kafka broker from Maven Central jars;
``processes`` starts workers as child processes; ``simulation`` is the labelled
marketplace simulator, ``sample`` the demo's small fixed marketplace;
``evaluation`` scores alerts against labels and ``replay`` judges a simulation
in-process; ``bench`` measures throughput and latency through the broker.
"""
