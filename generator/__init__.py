"""gen: render an Azure hub network spec into deployable Bicep."""

__version__ = "0.1.0"
