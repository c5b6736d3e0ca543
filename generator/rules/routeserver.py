"""Rules: routeserver."""
