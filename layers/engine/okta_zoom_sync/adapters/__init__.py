"""The adapters: Okta, Zoom and DynamoDB behind the ports of core/ports.py, over one shared HTTP transport."""
