"""The application: settings, storage, the refresh pipeline, scheduling, alert dispatch and the CLI."""

__version__ = "0.1.0"
