# rma's production image: built in one stage, run in a slim one, as a user without privileges.
#   docker build -t rma .
#   docker run -e RMA_DATABASE_URL=postgresql+psycopg://rma@db/rma -p 8000:8000 rma
# compose.yaml runs it with PostgreSQL, a worker and Redis; docs/operations.md explains.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/rma --create-home rma
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER rma
WORKDIR /var/lib/rma
ENV RMA_HOST=0.0.0.0 \
    RMA_PORT=8000 \
    RMA_DATA_DIR=/var/lib/rma \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["rma", "serve", "--workers", "2"]
