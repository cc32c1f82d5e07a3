"""Synthetic 835 (005010X221A1) remittances, without PHI: the fixtures under fixtures/x12/
and the denials of the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

MEDICARE = "02302"


@dataclass
class Paid:
    cpt: str
    charge: str = "1200"
    paid: str = "0"
    adjustments: tuple[tuple[str, str, str], ...] = ()  # (group, CARC, amount)
    remarks: tuple[str, ...] = ()  # RARCs (LQ*HE)
    dos: str = "20251201"
    control: str = ""  # REF*6R


@dataclass
class PaidClaim:
    id: str  # CLP01: the lab's CLM01
    lines: list[Paid]
    status: str = "4"  # CLP02: 1 paid as primary, 4 denied
    patient: str = "PAT1"
    payer_claim: str = "PCN0001"
    extra: list[str] = field(default_factory=list)


def remittance(claims: list[PaidClaim], payer: str = MEDICARE, sep: str = "~\n",
               paid_on: str = "20260115") -> str:
    total = sum(float(line.paid) for claim in claims for line in claim.lines)
    body = [
        f"BPR*I*{total:.2f}*C*CHK************{paid_on}" if total else
        f"BPR*H*0*C*NON************{paid_on}",
        "TRN*1*EFT0001*1999999984",
        f"DTM*405*{paid_on}",
        f"N1*PR*PAYER {payer}*XV*{payer}", "N3*PO BOX 6700", "N4*FARGO*ND*581086700",
        "PER*BL*EDI SUPPORT*TE*8005550100",
        "N1*PE*CASCADE MOLECULAR DIAGNOSTICS*XX*1999999984",
        "LX*1",
    ]
    for claim in claims:
        charge = sum(float(line.charge) for line in claim.lines)
        paid = sum(float(line.paid) for line in claim.lines)
        body += [f"CLP*{claim.id}*{claim.status}*{charge:.2f}*{paid:.2f}**MB*"
                 f"{claim.payer_claim}*81*1",
                 f"NM1*QC*1*DOE*JANE****MI*{claim.patient}"]
        for line in claim.lines:
            body += [f"SVC*HC:{line.cpt}*{line.charge}*{line.paid}**1",
                     f"DTM*472*{line.dos}"]
            if line.adjustments:
                by_group: dict[str, list[str]] = {}
                for group, carc, amount in line.adjustments:
                    by_group.setdefault(group, []).append(f"{carc}*{amount}*")
                body += [f"CAS*{g}*" + "".join(parts).rstrip("*") for g, parts in
                         by_group.items()]
            if line.control:
                body.append(f"REF*6R*{line.control}")
            if line.remarks:
                body.append("LQ*HE*" + line.remarks[0])
                body += [f"LQ*HE*{r}" for r in line.remarks[1:]]
    segments = [
        "ISA*00*          *00*          *ZZ*NORIDIANJF     *ZZ*CASCADEMOLDX   *260115*1200*^*"
        "00501*000000002*0*T*:",
        "GS*HP*NORIDIANJF*CASCADEMOLDX*20260115*1200*2*X*005010X221A1",
        "ST*835*0001", *body, f"SE*{len(body) + 2}*0001", "GE*1*2",
        "IEA*1*000000002"]
    return sep.join(segments) + sep
