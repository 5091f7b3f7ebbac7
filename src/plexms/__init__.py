"""plexms: software for a therapeutic plasma exchange (TPE) programme for multiple sclerosis."""

__all__ = ["__version__"]

__version__ = "0.1.0"
