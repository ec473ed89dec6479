"""Where the non-Python assets (email/letter templates, policies) live, in the repo and in the layer."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# The layer build copies the top-level folders here; see the Makefile's build-RelanceLayer target.
_LAYER_ASSETS = _PACKAGE_DIR / "_assets"


class AssetError(FileNotFoundError):
    """An asset folder that is neither configured, in the layer, nor in the repository."""


@cache
def asset_dir(kind: str) -> Path:
    """The folder holding `kind` ("templates" or "policies").

    RELANCE_<KIND>_DIR wins, so an operator can ship their own wording or policies in another layer.
    """
    configured = os.environ.get(f"RELANCE_{kind.upper()}_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(_LAYER_ASSETS / kind)
    candidates.extend(
        parent / kind for parent in _PACKAGE_DIR.parents if (parent / "template.yaml").is_file()
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise AssetError(f"no {kind} folder: looked in {', '.join(str(c) for c in candidates)}")
