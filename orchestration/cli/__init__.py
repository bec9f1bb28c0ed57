"""The ``meridian`` command line. Each command imports its heavy modules only when it runs."""
