"""Alerts people actually receive: one per state change, to webhooks, Slack and email."""
