"""Compressed answers: brotli for HTML when the browser accepts it, gzip for the rest.

Brotli makes the viewer's pages and panels about a tenth smaller than gzip for the same CPU
(docs/performance.md). Static files are precompressed by whitenoise and never reach this.
"""

from __future__ import annotations

import secrets

import brotli
from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

BROTLI_QUALITY = 5
# As Django's gzip (Heal The Breach): each answer's compressed length varies at random, so a
# page that reflects input beside a secret (the CSRF token, a customer's details) does not
# reveal the secret through its length (BREACH). gzip hides up to 100 random bytes in its
# header's file name; brotli has metadata blocks, which every decoder skips.
MAX_RANDOM_BYTES = 100


def accepts_brotli(accept_encoding: str) -> bool:
    """``br`` listed in Accept-Encoding, and not refused with ``q=0``."""
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() != "br":
            continue
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def _is_html(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").split(";", 1)[0].strip().lower() == "text/html"


def _metadata_block(data: bytes) -> bytes:
    """A brotli metadata meta-block (RFC 7932 section 9.2) carrying ``data`` (1-256 bytes),
    starting and ending on a byte boundary: ISLAST 0, MNIBBLES 0 (code 3), reserved 0,
    MSKIPBYTES 1, MSKIPLEN - 1 in 8 bits, zero fill bits, then the bytes."""
    skip = len(data) - 1
    return bytes([0b110 | 0b10000 | (skip & 0b11) << 6, skip >> 2]) + data


def compress_brotli(content: bytes) -> bytes:
    """``content`` compressed, with 1-100 random bytes of metadata after it."""
    compressor = brotli.Compressor(quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)
    padding = secrets.token_bytes(secrets.randbelow(MAX_RANDOM_BYTES) + 1)
    return (
        compressor.process(content)
        + compressor.flush()  # ends on a byte boundary, where a meta-block may start
        + _metadata_block(padding)
        + compressor.finish()
    )


class CompressionMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, with brotli for whole (not streamed) HTML answers."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            response.streaming
            or not _is_html(response)
            or response.has_header("Content-Encoding")
            or not accepts_brotli(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        ):
            return super().process_response(request, response)
        content = response.content  # type: ignore[attr-defined]
        if len(content) < 200:  # not worth it, as for gzip
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        compressed = compress_brotli(content)
        if len(compressed) >= len(content):
            return response
        response.content = compressed  # type: ignore[attr-defined]
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag  # as gzip: the bytes differ, the page not
        response.headers["Content-Encoding"] = "br"
        return response
