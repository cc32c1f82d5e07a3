"""Talking to a FHIR server over REST, for the service (prefetch) and for the client (reading the
chart, writing back what it applied)."""
