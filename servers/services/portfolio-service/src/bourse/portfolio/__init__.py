"""Bourse portfolio-service."""
