"""Fetching profile pictures from the URLs Okta holds: https only, public addresses only, a size limit."""
