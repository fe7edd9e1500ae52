"""The pure core: the model, the policy, and the rules that turn desired and actual state into a plan.

No I/O here (no AWS, HTTP, YAML or logging): import-linter's `pure-core` contract in pyproject.toml holds it."""
