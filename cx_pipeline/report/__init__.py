"""The CX report: one self-contained HTML page with charts, rebuilt on every run."""
