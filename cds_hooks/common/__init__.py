"""What every room uses: settings, the trusted issuers, logging, metrics."""
