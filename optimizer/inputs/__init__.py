"""Scenario inputs: the schema, reading files and workbooks, validation."""
