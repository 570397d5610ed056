FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pixverse_emulator ./pixverse_emulator
COPY fixtures ./fixtures
# /data is the data folder: mount a volume there and set PIXVERSE_EMULATOR_DATA_DIR=/data
# to keep the state across restarts (without it the emulator runs in memory).
# The redis extra: the image also serves as a replica of a shared store (store = redis://).
RUN pip install '.[redis]' && useradd --create-home --uid 10001 emulator \
    && mkdir /data && chown emulator:emulator /data
VOLUME /data
USER emulator

EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/_emulator/health', timeout=2).status == 200 else 1)"
CMD ["pixverse-emulator", "--host", "0.0.0.0", "--port", "8080"]
