"""cx-pipeline's tests."""

import os

# The hand-written fixtures are dated from 2024 on, whatever the sample holds: the daily
# partitions must cover them (CX_PARTITIONS_START=auto would start at the sample's first day).
os.environ.setdefault("CX_PARTITIONS_START", "2024-01-01")
