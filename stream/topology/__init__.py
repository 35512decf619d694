"""The Faust side: app, topics, tables, agent, timers and web views.

``app`` wires them together; ``state_writer`` writes changed seller states to
their changelogged table; ``publisher`` hands alerts and dead letters to the
producer; ``faust_patches`` holds every use of a Faust or aiokafka private
attribute, each checked at start-up; ``handover`` guards Faust's consumer
around rebalances and stops; ``shutdown`` bounds a stop; ``outage`` keeps a
broker outage to a few log lines; ``kafka_admin`` creates the topics.
"""
