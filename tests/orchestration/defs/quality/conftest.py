"""The alert tests' SMTP receiver, as a fixture of this folder."""

from tests.orchestration.defs.quality.alert_helpers import smtp

__all__ = ["smtp"]
