"""The typst compiler, one per thread (a compiler cannot be shared between threads, and a reused
one compiles a certificate in about 2 ms instead of 40)."""

from __future__ import annotations

import threading
from collections.abc import Container
from pathlib import Path

import typst

LAYOUTS = Path(__file__).resolve().parent / "layouts"
FONTS = Path(__file__).resolve().parent / "fonts"
#: Where Debian's fonts-noto-cjk puts Noto Sans CJK; used when present (documented).
SYSTEM_CJK_FONTS = Path("/usr/share/fonts/opentype/noto")

_local = threading.local()


class RenderError(RuntimeError):
    """typst refused a layout or its data (the message says where)."""


def layout_name(kind: str, name: str, template: bytes | None, known: Container[str]) -> str:
    """The layout file for a design's ``kind`` ("certificate" or "badge") layout ``name``: one of
    ``known``, or "custom", which needs the design's SVG ``template``."""
    if name == "custom":
        if not template:
            raise RenderError(f"the custom {kind} layout has no SVG template")
        return f"custom-{kind}"
    if name not in known:
        raise RenderError(f"no {kind} layout named {name!r}")
    return f"{kind}-{name}"


def font_paths() -> list[str]:
    paths = [str(FONTS)]
    if SYSTEM_CJK_FONTS.is_dir():
        paths.append(str(SYSTEM_CJK_FONTS))
    return paths


def _compiler() -> typst.Compiler:
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        compiler = typst.Compiler(
            root=str(LAYOUTS), font_paths=font_paths(), ignore_system_fonts=True
        )
        _local.compiler = compiler
    return compiler


def compile_layout(
    layout: str,
    inputs: dict[str, str],
    *,
    output: str = "pdf",
    ppi: float | None = None,
    pdf_standards: list[str] | None = None,
    timestamp: int | None = None,
) -> bytes:
    """Compile ``layouts/<layout>.typ`` with ``inputs`` (``sys.inputs``, strings only)."""
    path = LAYOUTS / f"{layout}.typ"
    if not path.is_file():
        raise RenderError(f"no layout named {layout!r}")
    try:
        result = _compiler().compile(
            input=str(path),
            format=output,
            ppi=ppi,
            sys_inputs=inputs,
            pdf_standards=pdf_standards or [],
            timestamp=timestamp,
        )
    except typst.TypstError as exc:
        raise RenderError(f"{layout}: {exc.message}") from None
    if isinstance(result, list):  # several pages: only ever one here
        result = result[0]
    return bytes(result)
