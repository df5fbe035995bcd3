"""Findings catalogue and renderers (text, JSON).  Pure: reads values, writes strings."""
