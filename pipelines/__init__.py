"""Pipelines: named steps (`nodes.py`) wired in one place (`pipeline.py`)."""
