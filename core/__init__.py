"""Shared foundations: settings, database, clock, outbox and domain errors."""
