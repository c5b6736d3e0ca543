"""gen's commands, one module per concern (generator/cli.py holds the group and what they share)."""
