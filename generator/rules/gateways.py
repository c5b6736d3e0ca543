"""Rules: gateways."""
