"""okta-zoom-sync engine: keeps Zoom users in step with Okta app assignments."""

__version__ = "0.1.0"
