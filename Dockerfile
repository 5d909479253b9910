FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# The matrix picture draws members' words in Chinese and Japanese too (DejaVu covers most others).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY storage ./storage
COPY valuestory ./valuestory
RUN pip install . && useradd --create-home valuestory

USER valuestory
WORKDIR /home/valuestory
CMD ["valuestory", "run"]
