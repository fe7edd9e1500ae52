"""The event-hook queue: SQS behind the MessageQueue port."""
