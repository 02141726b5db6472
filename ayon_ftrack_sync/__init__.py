"""ayon-ftrack-sync: ftrack <-> AYON sync on Temporal."""

__version__ = "0.1.0"
