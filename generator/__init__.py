"""gen: render an Azure hub network spec into deployable Bicep."""

__version__ = "0.2.0"
# Where the README lives; links to its sections (field reference, accepted warnings) start here.
PROJECT_URL = "https://github.com/azure-hub-gen/gen"
