"""Clients for the agency contract (DESIGN.md), one per agency in config/agencies.yml."""
