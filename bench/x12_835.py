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
    payer_claim: str = "PCN0001"  # CLP07
    extra: list[str] = field(default_factory=list)
    adjustments: tuple[tuple[str, str, str], ...] = ()  # claim level (Loop 2100 CAS)
    remarks: tuple[str, ...] = ()  # claim level RARCs (MOA03..MOA07)
    charge: str | None = None  # CLP03 of a claim with no service lines
    paid: str | None = None  # CLP04 of a claim with no service lines
    dos: str = "20251201"  # the claim's DTM*232 (statement from), for a claim with no lines


def remittance(claims: list[PaidClaim], payer: str = MEDICARE, sep: str = "~\n",
               paid_on: str = "20260115", control: str = "000000002") -> str:
    """`control`: ISA13, which a payer changes when it sends the same remittance again."""
    total = sum(_claim_amounts(claim)[1] for claim in claims)
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
        charge, paid = _claim_amounts(claim)
        body += [f"CLP*{claim.id}*{claim.status}*{charge:.2f}*{paid:.2f}**MB*"
                 f"{claim.payer_claim}*81*1", *_cas(claim.adjustments),
                 f"NM1*QC*1*DOE*JANE****MI*{claim.patient}"]
        if claim.remarks:
            body.append("MOA***" + "*".join(claim.remarks))
        if not claim.lines:
            body.append(f"DTM*232*{claim.dos}")
        for line in claim.lines:
            body += [f"SVC*HC:{line.cpt}*{line.charge}*{line.paid}**1",
                     f"DTM*472*{line.dos}", *_cas(line.adjustments)]
            if line.control:
                body.append(f"REF*6R*{line.control}")
            if line.remarks:
                body.append("LQ*HE*" + line.remarks[0])
                body += [f"LQ*HE*{r}" for r in line.remarks[1:]]
    segments = [
        "ISA*00*          *00*          *ZZ*NORIDIANJF     *ZZ*CASCADEMOLDX   *260115*1200*^*"
        f"00501*{control}*0*T*:",
        "GS*HP*NORIDIANJF*CASCADEMOLDX*20260115*1200*2*X*005010X221A1",
        "ST*835*0001", *body, f"SE*{len(body) + 2}*0001", "GE*1*2",
        f"IEA*1*{control}"]
    return sep.join(segments) + sep


def _claim_amounts(claim: PaidClaim) -> tuple[float, float]:
    """CLP03 and CLP04: the lines' sums, less what claim-level adjustments took (the 835
    balances CLP04 = sum of SVC03 - claim-level CAS)."""
    if not claim.lines:
        return float(claim.charge or 0), float(claim.paid or 0)
    charge = sum(float(line.charge) for line in claim.lines)
    paid = sum(float(line.paid) for line in claim.lines)
    return charge, paid - sum(float(amount) for _, _, amount in claim.adjustments)


def _cas(adjustments: tuple[tuple[str, str, str], ...]) -> list[str]:
    """One CAS per group, its (reason, amount) pairs in order."""
    by_group: dict[str, list[str]] = {}
    for group, carc, amount in adjustments:
        by_group.setdefault(group, []).append(f"{carc}*{amount}*")
    return [f"CAS*{g}*" + "".join(parts).rstrip("*") for g, parts in by_group.items()]
