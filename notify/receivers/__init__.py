"""Receivers, one kind per module: generic webhook, DingTalk and WeCom group robots,
email over SMTP, a Kafka topic. Each has `async send(notification, rendered)` that
returns once the receiver accepted the message, or raises DeliveryError."""
