"""Make the helpers of tests/deploy (the Grafana SQL expander) importable in any import mode."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
