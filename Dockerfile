# The production image: exactly what `make serve` runs (README.md, Deploying), with the static
# files built in. Settings come from the environment; see compose.yaml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --user-group profileviewer
WORKDIR /app

# The lock, hashes checked; --no-deps because it already pins every dependency.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.txt

COPY manage.py gunicorn.conf.py ./
COPY profileviewer/ profileviewer/
COPY templates/ templates/
COPY static/ static/
# With the production storage (hashed, compressed names); the sandbox's defaults only stand
# in for settings that collectstatic never reads.
RUN SANDBOX=true DEBUG=false python manage.py collectstatic --noinput --verbosity 0

# The profileviewer user, by number (an orchestrator checks it is not root without the image's
# passwd). The code and static files stay root's: the server reads them, cannot change them.
USER 10001:10001
ENV SANDBOX=false \
    DEBUG=false \
    GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
# `manage.py serve`: check --deploy, migrate, then gunicorn (which SIGTERM stops gracefully).
CMD ["python", "manage.py", "serve"]
