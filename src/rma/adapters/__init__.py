"""Adapters: what the services ask for, done with real infrastructure."""
