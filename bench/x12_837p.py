"""Synthetic 837P (005010X222A1) files, without PHI: the fixtures under fixtures/x12/ and the
load file of the scrub benchmark.

    python -m bench.x12_837p --lines 10000 /tmp/load.837   # then: time moldx-cds scrub FILE
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

MEDICARE = "02302"  # Noridian JF in the demo payers
LAB_NPI = "1999999984"  # the demo lab's


@dataclass
class Line:
    cpt: str
    zcode: str = ""
    units: str = "1"
    dos: str = "20251201"
    pointers: str = "1"
    control: str = ""  # REF*6R
    charge: str = "1200"
    modifiers: tuple[str, ...] = ()


@dataclass
class Claim:
    id: str
    lines: list[Line]
    patient: str = "PAT1"
    payer: str = MEDICARE
    diagnoses: tuple[str, ...] = ("C3490",)
    extra: list[str] = field(default_factory=list)


def interchange(claims: list[Claim], sep: str = "~\n", npi: str = LAB_NPI) -> str:
    """One interchange, one transaction, one billing provider (NPI `npi`); a subscriber loop a
    claim."""
    body = [
        "BHT*0019*00*BATCH1*20251215*1200*CH",
        "NM1*41*2*CASCADE MOLECULAR DIAGNOSTICS*****46*CMD001",
        "PER*IC*BILLING*TE*5035550100",
        "NM1*40*2*CLEARINGHOUSE*****46*CH001",
        "HL*1**20*1",
        f"NM1*85*2*CASCADE MOLECULAR DIAGNOSTICS*****XX*{npi}",
        "N3*100 MAIN ST", "N4*PORTLAND*OR*972010000", "REF*EI*930000000",
    ]
    for n, claim in enumerate(claims, start=2):
        body += [f"HL*{n}*1*22*0", "SBR*P*18*******MB",
                 f"NM1*IL*1*DOE*JANE****MI*{claim.patient}", "N3*1 TEST LANE",
                 "N4*PORTLAND*OR*972010000", "DMG*D8*19500101*F",
                 f"NM1*PR*2*PAYER {claim.payer}*****PI*{claim.payer}"]
        total = sum(int(line.charge) for line in claim.lines)
        body += [f"CLM*{claim.id}*{total}***81:B:1*Y*A*Y*Y", _hi(claim.diagnoses)]
        for number, line in enumerate(claim.lines, start=1):
            body += [f"LX*{number}", _sv1(line), f"DTP*472*D8*{line.dos}"]
            if line.control:
                body.append(f"REF*6R*{line.control}")
    segments = [
        "ISA*00*          *00*          *ZZ*CASCADEMOLDX   *ZZ*CLEARINGHOUSE  *251215*1200*^*"
        "00501*000000001*0*T*:",
        "GS*HC*CASCADEMOLDX*CLEARINGHOUSE*20251215*1200*1*X*005010X222A1",
        "ST*837*0001*005010X222A1", *body, f"SE*{len(body) + 2}*0001", "GE*1*1",
        "IEA*1*000000001"]
    return sep.join(segments) + sep


def _hi(diagnoses: tuple[str, ...]) -> str:
    codes = [f"ABK:{diagnoses[0]}", *(f"ABF:{code}" for code in diagnoses[1:])]
    return "HI*" + "*".join(codes)


def _sv1(line: Line) -> str:
    mods = list(line.modifiers) + [""] * (4 - len(line.modifiers))
    composite = ":".join(["HC", line.cpt, *mods, line.zcode]).rstrip(":")
    return f"SV1*{composite}*{line.charge}*UN*{line.units}***{line.pointers}"


def load_file(lines: int) -> str:
    """`lines` service lines, a mix of right and wrong coding, 4 lines a claim."""
    mix = [Line("81445", "ZL5H2"), Line("81445"), Line("81459", "ZC6D4", charge="3500"),
           Line("81235", "ZE1G6", charge="350"), Line("81445", "ZL5H2", units="2")]
    claims = []
    for start in range(0, lines, 4):
        chunk = [mix[(start + i) % len(mix)] for i in range(min(4, lines - start))]
        claims.append(Claim(f"LOAD{start // 4:06d}", chunk, patient=f"PAT{start // 4:06d}"))
    return interchange(claims)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args(argv)
    args.out.write_text(load_file(args.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
