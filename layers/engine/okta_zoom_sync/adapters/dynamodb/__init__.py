"""The state table in DynamoDB: one store implementing the small state ports."""
