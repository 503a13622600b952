"""Composition root: the web app, the CLI and the worker, built from one Settings."""
