"""The doors through which decisions reach people and systems, one room each: the CDS Hooks
service (service/), the audit store (store/), the report (report/), the CDS client (client/),
the command line and serving (cli/); with FHIR REST (fhir/) and what every room uses (common/)
below them. Every import points down, toward the domain in plugin/."""
