"""The boundary: the invocation event, the environment, the policy file and the secret, parsed and checked.

Each raises a ConfigurationError that names the wrong key and never echoes a secret value."""
