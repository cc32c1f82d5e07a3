# moldx-cds in production: `moldx-cds serve` (nginx in front of gunicorn's workers) behind a
# load balancer.
#   docker build -t moldx-cds .
#   docker run -p 8080:8080 -e MOLDX_CDS_STORE_URL=postgresql+psycopg://... \
#              -e MOLDX_CDS_TRUSTED_ISSUERS=/etc/moldx-cds/issuers.json \
#              -e MOLDX_CDS_PUBLIC_BASE_URL=https://cds.example.org \
#              -v /srv/moldx-cds/issuers.json:/etc/moldx-cds/issuers.json:ro \
#              -v /srv/moldx-cds/knowledge:/etc/moldx-cds/knowledge:ro moldx-cds
# (the issuers file's jwks_file paths are paths in the container: mount those files too)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/moldx-cds
COPY pyproject.toml README.md ./
COPY cds_hooks ./cds_hooks
COPY plugin ./plugin
# nginx: `serve` runs it in front of its workers (it reads each request whole).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* \
 && pip install '.[postgres]' \
 && useradd --system --uid 10001 --home-dir /var/lib/moldx-cds --create-home moldx \
 && mkdir -p /var/lib/moldx-cds/spool /run/moldx-cds \
 && chown -R moldx /var/lib/moldx-cds /run/moldx-cds

# The spool must outlive the container (records accepted while the database was down);
# one volume per replica, never shared between replicas.
VOLUME ["/var/lib/moldx-cds"]
# The lab's own knowledge, mounted: without it the service does not start (rather than serve
# the embedded demo lab, a fictional one).
ENV MOLDX_CDS_KNOWLEDGE_DIR=/etc/moldx-cds/knowledge \
    MOLDX_CDS_SPOOL_DIR=/var/lib/moldx-cds/spool \
    MOLDX_CDS_STORE_URL=sqlite:////var/lib/moldx-cds/moldx-cds.sqlite \
    MOLDX_CDS_PID_FILE=/run/moldx-cds/gunicorn.pid \
    PROMETHEUS_MULTIPROC_DIR=/run/moldx-cds/metrics \
    MOLDX_CDS_LOG_FORMAT=json

USER moldx
WORKDIR /var/lib/moldx-cds
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"
# On 0.0.0.0, serve needs MOLDX_CDS_PUBLIC_BASE_URL and your own issuers (docs/security.md).
# `docker kill -s HUP <container>` (or `moldx-cds reload` inside it) reloads the knowledge.
STOPSIGNAL SIGTERM
CMD ["moldx-cds", "serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "4"]
