"""plexms: software for a therapeutic plasma exchange (TPE) programme for multiple sclerosis."""

__version__ = "0.1.0"
