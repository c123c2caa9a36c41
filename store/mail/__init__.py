"""Mail delivery: rendering (mail_templates), message building, transports (file, smtp),
retry with backoff, and `delivery.deliver_pending` which empties the outbox."""
