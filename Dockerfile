# syntax=docker/dockerfile:1
# listing-monitor worker image. Build from the repository root:
#   docker build -t listing-monitor:0.1.0 .
# The entry point is the same `listing-monitor` command the README uses;
# `worker` is the default command. Mount a rules file and point
# LISTING_MONITOR_RULES_FILE at it to judge with your own rules.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY schemas/ schemas/
COPY stream/ stream/
# The lock's exact versions, for the runtime dependencies only (the lock also
# pins the development tools, which the image does not need).
RUN python -m venv /opt/listing-monitor \
    && /opt/listing-monitor/bin/pip install --constraint requirements.lock . \
    && /opt/listing-monitor/bin/listing-monitor --help > /dev/null

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/listing-monitor \
        --create-home monitor \
    && mkdir -p /etc/listing-monitor
COPY --from=build /opt/listing-monitor /opt/listing-monitor
COPY stream/data/rules.toml /etc/listing-monitor/rules.toml
ENV PATH=/opt/listing-monitor/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LISTING_MONITOR_HOME=/var/lib/listing-monitor \
    LISTING_MONITOR_RULES_FILE=/etc/listing-monitor/rules.toml \
    LISTING_MONITOR_WEB_HOST=0.0.0.0 \
    LISTING_MONITOR_WEB_PORT=6066
USER 10001
WORKDIR /var/lib/listing-monitor
EXPOSE 6066
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/healthz', timeout=2)"]
ENTRYPOINT ["listing-monitor"]
CMD ["worker"]
