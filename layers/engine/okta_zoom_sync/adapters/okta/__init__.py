"""Okta's Management API: the reader, its credentials (API token, service app, DPoP), its errors and records."""
