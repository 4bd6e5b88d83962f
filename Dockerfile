# syntax=docker/dockerfile:1
# The site under gunicorn with production settings. `docker compose up` builds and runs it;
# docs/deployment.md explains the stack.
ARG PYTHON_VERSION=3.12

# Build stage: compile mysqlclient against the MariaDB client headers into a virtualenv.
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

# Runtime: the MariaDB client library only (no compiler, no headers), and make for `make test`.
FROM python:${PYTHON_VERSION}-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 make \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 app
COPY --from=build /opt/venv /opt/venv
# VENV: the Makefile's virtualenv, so `make test` uses this one. BROWSER_DEPS and TEST_DEPS empty:
# `make test` installs neither Chromium nor tests/requirements.txt here. Static files live outside
# var/, which is the SQLite volume (a volume would hide files collected at a later build).
ENV PATH=/opt/venv/bin:$PATH \
    VENV=/opt/venv \
    BROWSER_DEPS= \
    TEST_DEPS= \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTEST_ADDOPTS="-p no:cacheprovider" \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DATABASE_URL=sqlite:////app/var/users.sqlite3 \
    PORT=8000

WORKDIR /app
# The whole project; .dockerignore keeps a local .env, .venv, var/ and .git out of the image.
COPY . .
# Requirements are installed already: tell the Makefile, so `make test` does not reinstall.
RUN touch /opt/venv/.installed \
 && DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir /app/var && chown app:app /app/var

USER app
EXPOSE 8000
ENTRYPOINT ["docker/entrypoint.sh"]
CMD ["gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]
