"""pyx12's walk of one X12 file from stdin, as it comes (`own`) or with the helpers
cds_hooks/claims/pyx12_speedups.py replaces (`fast`): every segment's id, loop path and
position, pyx12's error report, and the seconds the walk took. Run in a fresh process so
`own` is pyx12 untouched.

    python -m bench.pyx12_walk own|fast < FILE
"""

from __future__ import annotations

import io
import json
import sys
import time

import pyx12.errh_json
import pyx12.error_handler
import pyx12.params
import pyx12.x12context


def main(mode: str) -> int:
    if mode == "fast":
        from cds_hooks.claims import pyx12_speedups

        assert pyx12_speedups.install()
    source = io.StringIO(sys.stdin.read())
    started = time.perf_counter()
    errors = pyx12.error_handler.err_handler()
    reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), errors, source)
    walked = [(n.id, n.cur_path, n.cur_line_number) for n in reader.iter_segments()]
    seconds = time.perf_counter() - started
    report = io.StringIO()
    errors.accept(pyx12.errh_json.errh_json_visitor(report, indent=None))
    print(json.dumps({"walked": walked, "errors": json.loads(report.getvalue()),
                      "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
