"""Profile Viewer: a customer's complete context from the Intilery Profiles API."""

__version__ = "0.1.0"
