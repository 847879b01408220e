"""Certificates (PDF/A, PNG) and badge images (PNG, SVG) from a design and a credential's data.

Framework-free like ``vc``: callers pass plain data (:mod:`.data`) and bytes, and get bytes back.
Everything is typeset by typst with the fonts shipped in ``fonts/`` (system fonts are ignored, so
output is the same on every machine; Noto Sans CJK is used when the system has it).
"""
