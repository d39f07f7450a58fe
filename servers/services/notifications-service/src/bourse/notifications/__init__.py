"""Bourse notifications-service."""
