"""Great Expectations suites (issue 4)."""
