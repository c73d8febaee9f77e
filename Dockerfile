# Build: the package and its dependencies in a virtual environment.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

# Run: the virtual environment, the migrations and an unprivileged user.
FROM python:3.11-slim-bookworm
RUN useradd --create-home --uid 10001 followup
WORKDIR /srv/followup
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
RUN mkdir -p /srv/followup/data && chown followup:followup /srv/followup/data
# The SQLite file lives here: a named volume keeps it across containers, and takes this
# directory's owner when Docker creates it. Declared after the chown, which it keeps.
VOLUME /srv/followup/data
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////srv/followup/data/followup.db \
    FOLLOWUP_HOST=0.0.0.0 \
    FOLLOWUP_PORT=8000
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["sh", "-c", "alembic upgrade head && exec followup serve"]
