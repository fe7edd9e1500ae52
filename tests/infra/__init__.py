"""Infra tests: assertions over template.yaml, samconfig.toml and events/."""
