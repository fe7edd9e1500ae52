"""The shared HTTP transport: sending, retrying, rate limits, redaction, pagination links, OAuth token caching."""
