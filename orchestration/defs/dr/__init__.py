"""Disaster recovery: mirrored topics landed by survivors, the aggregation lease, failover and the drill."""
