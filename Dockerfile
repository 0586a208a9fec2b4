# The code location's image (Dagster "user code"): Dagster loads `pipelines.definitions` from it
# over gRPC, e.g. as a user code deployment of Dagster's Helm chart. See README, "Deployment".
#
#   docker build -t workflow-analytics:latest .
#   docker run --rm -p 4000:4000 workflow-analytics:latest      # the gRPC code server
#   docker run --rm -e CDF_CLUSTER=... workflow-analytics:latest workflow-analytics ingest
FROM python:3.11-slim-bookworm

# Bytecode is compiled once, at build time: the image's user cannot write into the venv, and with
# PYTHONDONTWRITEBYTECODE every process would otherwise compile Dagster again.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    WAREHOUSE_DIR=/var/lib/workflow-analytics/warehouse ingest alerts \
    DAGSTER_HOME=/var/lib/workflow-analytics/dagster_home

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when the runtime lock changes (the same
# pins as requirements.lock, without the test and benchmark tools).
COPY requirements-runtime.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check uv==0.13.8 \
    && /opt/venv/bin/uv pip install --no-cache --compile-bytecode --python /opt/venv/bin/python \
        -r requirements-runtime.lock

# The project, installed in place (its SQL files and config/ are read next to the packages).
COPY pyproject.toml README.md workspace.yaml dagster.yaml ./
COPY config/ config/
# The views' column descriptions in the UI come from the analysts' reference.
COPY docs/analytics.md docs/analytics.md
COPY cdf_client/ cdf_client/
COPY cdf_simulator/ cdf_simulator/
COPY warehouse/ warehouse/
COPY ingest/ ingest/
COPY alerts/ alerts/
COPY workflow_analytics/ workflow_analytics/
COPY assets/ assets/
COPY pipelines/ pipelines/
RUN /opt/venv/bin/uv pip install --no-cache --python /opt/venv/bin/python --no-deps -e . \
    && /opt/venv/bin/python -m compileall -q cdf_client cdf_simulator warehouse ingest alerts \
        workflow_analytics assets pipelines

# The data directory (mount a persistent volume there): the warehouse and DAGSTER_HOME with the
# repository's instance settings (telemetry off, the writer pool limited to 1).
RUN mkdir -p /var/lib/workflow-analytics/warehouse /var/lib/workflow-analytics/dagster_home \
    && cp dagster.yaml /var/lib/workflow-analytics/dagster_home/dagster.yaml
# Not root: a user of its own, owning only the data directory.
RUN useradd --system --uid 10001 --home-dir /var/lib/workflow-analytics analytics \
    && chown -R analytics /var/lib/workflow-analytics
USER 10001

EXPOSE 4000
CMD ["dagster", "api", "grpc", "--host", "0.0.0.0", "--port", "4000", \
     "--module-name", "pipelines.definitions"]
