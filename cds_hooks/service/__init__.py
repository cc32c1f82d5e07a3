"""The CDS Hooks HTTP service: routes, request models, auth, prefetch, cards, feedback."""
