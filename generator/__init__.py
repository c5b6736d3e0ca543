"""gen: render an Azure hub network spec into deployable Bicep."""

__version__ = "0.2.0"


def readme_link(section: str) -> str:
    """A link to a section of gen's README, which ships with the package (share/doc/azure-hub-gen/README.md) and
    sits at the root of its repository; `gen rules --explain ID` prints the same text offline."""
    return f"README.md#{section}"
