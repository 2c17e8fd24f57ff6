# The Django proxy, serving the built React frontend.
FROM node:20-slim AS frontend
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./
RUN npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY django_proxy ./django_proxy
COPY --from=frontend /frontend/dist ./frontend/dist
ENV PATH="/app/.venv/bin:$PATH" DJANGO_HOST=0.0.0.0 DJANGO_PORT=8000
EXPOSE 8000
USER nobody
HEALTHCHECK --interval=10s --timeout=3s --retries=10 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/accounts/login/', timeout=2)" || exit 1
CMD ["sh", "-c", "python django_proxy/manage.py migrate --noinput && python -m django_proxy"]
