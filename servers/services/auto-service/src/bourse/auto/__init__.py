"""Bourse auto-service."""
