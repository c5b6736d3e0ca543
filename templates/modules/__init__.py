"""Data files that ship inside the installed `generator` package (see package_dir in setup.cfg)."""
