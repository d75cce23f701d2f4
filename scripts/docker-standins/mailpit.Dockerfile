# Stand-in for axllent/mailpit, ONLY for scripts/check-docker on machines that reach no image
# registry (see ./build). Mailpit itself is not in any package registry reachable here (its Go
# module lacks the built web UI and needs a newer Go than Debian's), so this is a small SMTP
# sink on Debian's aiosmtpd with the few parts of Mailpit's HTTP API that the check reads:
# SMTP on 1025, HTTP on 8025 (GET /api/v1/messages, GET /api/v1/message/<ID>, /livez, /readyz).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-aiosmtpd \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 1000 --no-create-home mailpit
COPY mailsink.py /usr/local/bin/mailsink.py
USER mailpit
EXPOSE 1025 8025
HEALTHCHECK --interval=2s --timeout=3s --retries=15 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8025/readyz', timeout=2)"]
CMD ["python3", "/usr/local/bin/mailsink.py"]
