"""The package version, importable by every module without the package."""

__version__ = "0.1.0"
