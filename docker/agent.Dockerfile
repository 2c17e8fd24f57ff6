# The agent service (FastAPI + LangGraph).
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY agent_service ./agent_service
COPY evals ./evals
ENV PATH="/app/.venv/bin:$PATH" AGENT_HOST=0.0.0.0 AGENT_PORT=8001
EXPOSE 8001
USER nobody
HEALTHCHECK --interval=10s --timeout=3s --retries=10 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8001/healthz', timeout=2)" || exit 1
CMD ["python", "-m", "agent_service"]
