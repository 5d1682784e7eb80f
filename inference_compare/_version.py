"""The package version (its own module, so no module needs to import the package itself)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
