"""Rules: firewall."""
