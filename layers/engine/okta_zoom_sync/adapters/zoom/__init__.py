"""Zoom's REST API: the reader and writer, Server-to-Server OAuth, its errors and the role/group catalogue."""
