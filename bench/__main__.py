"""The README's benchmark command: one evaluation stage by stage, then the load run.

    python -m bench [--duration S] [--rounds N] [--policy-store FILE]

More: python -m bench.soak (a minute at saturation), python bench/policy_import.py (a full-size
CMS export imported, and a store to pass as --policy-store with --keep DIR).
"""

from __future__ import annotations

import sys

from . import evaluate, load

if __name__ == "__main__":
    print("## One evaluation, in process (python -m bench.evaluate)\n")
    print(evaluate.report(evaluate.measure(2000)))
    print("\n## Under load (python -m bench.load)\n", flush=True)
    sys.argv[0] = "python -m bench"
    load.main()
