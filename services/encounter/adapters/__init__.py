"""Kafka agents, reference feed, reply waiter, PostgreSQL read model and HTTP views."""
