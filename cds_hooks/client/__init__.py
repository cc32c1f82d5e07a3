"""The CDS client an LIS embeds: read the orders from its FHIR server, build and sign the hook
call, apply the actions of the answer, write them back. Its public names are here."""

from .actions import ActionError, Applied, apply_actions
from .cds_client import (
    CdsClient,
    ClientError,
    Signer,
    build_request,
    fhir_authorization,
    open_fhir_server,
    planned_writes,
    prefetch_from_resources,
    prefetch_from_server,
    read_chart,
    round_trip,
    write_back,
)
from .keys import ClientKey

__all__ = ["ActionError", "Applied", "CdsClient", "ClientError", "ClientKey", "Signer",
           "apply_actions", "build_request", "fhir_authorization", "open_fhir_server",
           "planned_writes", "prefetch_from_resources", "prefetch_from_server", "read_chart",
           "round_trip", "write_back"]
