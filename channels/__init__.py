"""Adapters between citizens' channels and the one store: inbound through accept.py, outbound from the outbox."""
