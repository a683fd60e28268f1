"""The `casewatch` command line."""
