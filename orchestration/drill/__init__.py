"""The disaster-recovery drill: a local multi-region platform, a lost region, and its RPO and RTO."""
