"""Generated product images for the demo data: a coloured tile per product id.

Demo events point at ``/sandbox/products/<product_id>.svg`` so product images show without
internet. The SVG has no scripts or external references, so no CSP is needed to show it.
"""

from __future__ import annotations

import hashlib
import re

PRODUCT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

_TEMPLATE = "\n".join(
    [
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240"'
        ' viewBox="0 0 240 240" role="img" aria-label="Product {label}">',
        '<rect width="240" height="240" rx="16" fill="hsl({hue},55%,42%)"/>',
        '<rect x="20" y="20" width="200" height="200" rx="12" fill="hsl({hue},60%,92%)"/>',
        '<path d="M80 96 L120 76 L160 96 L160 146 L120 166 L80 146 Z"'
        ' fill="hsl({hue},55%,42%)" opacity="0.85"/>',
        '<path d="M80 96 L120 116 L160 96 M120 116 L120 166" stroke="hsl({hue},60%,92%)"'
        ' stroke-width="4" fill="none"/>',
        '<text x="120" y="200" font-family="system-ui, sans-serif" font-size="{font_size}"'
        ' font-weight="600" text-anchor="middle" fill="hsl({hue},55%,25%)">{label}</text>',
        "</svg>",
        "",
    ]
)


def tile(product_id: str) -> str | None:
    """The SVG for a product id, or None when the id is not a valid product id."""
    if not PRODUCT_ID.fullmatch(product_id):
        return None
    hue = int.from_bytes(hashlib.sha256(product_id.encode()).digest()[:2]) % 360
    # The id is restricted to [A-Za-z0-9_-], so it needs no XML escaping.
    label = product_id if len(product_id) <= 16 else product_id[:15] + "…"
    font_size = 22 if len(label) <= 10 else 16
    return _TEMPLATE.format(hue=hue, label=label, font_size=font_size)
