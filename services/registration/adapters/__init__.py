"""Adapters of the registration service: Kafka agent, PostgreSQL projection, HTTP views."""
