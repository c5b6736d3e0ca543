"""Rules: naming."""
