"""`make bench`, the layer's figures: each handler's cold-start import from the built layer, and its size.

The imports run as on Lambda: python3.12, the layer and the handler's folder on the path and nothing else
(no site-packages), bytecode read but never written (/opt is read-only), the Lambda variables that change
what Powertools and the X-Ray SDK do at import (tracing on: Tracer patches botocore and pynamodb).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "layers" / "relance" / "Makefile"
# Every function of the stack (functions/<name>/app.py).
HANDLERS = tuple(sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")))
LAMBDA_ARCH = "aarch64"  # template.yaml: Architectures [arm64]

_IMPORT = (
    "import sys, time\n"
    "sys.path[0:0] = sys.argv[1:3]\n"
    "start, cpu = time.perf_counter(), time.process_time()\n"
    "import app\n"
    "print((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000)\n"
)


def make(target: str, artifacts: Path, arch: str = LAMBDA_ARCH) -> None:
    """Runs one target of the layer's Makefile (the build `sam build` runs) into `artifacts`."""
    environment = dict(os.environ)
    # Wheels are kept in the virtualenv between runs (make clean drops them with it), even where pip's own
    # cache is off: a build then reads no more from PyPI than its first.
    environment.pop("PIP_NO_CACHE_DIR", None)
    if sys.prefix != sys.base_prefix:
        environment["PIP_CACHE_DIR"] = str(Path(sys.prefix) / "layer-wheels")
    command = ["make", "--no-print-directory", "-s", "-f", str(MAKEFILE), target]
    command += [f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}", f"LAMBDA_ARCH={arch}"]
    done = subprocess.run(command, capture_output=True, text=True, env=environment)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"make {target} failed:\n{done.stderr}")


def build_layer(artifacts: Path, arch: str = LAMBDA_ARCH) -> Path:
    """The layer as `sam build` makes it; returns its python/ folder (/opt/python on Lambda)."""
    make("build-RelanceLayer", artifacts, arch)
    return artifacts / "python"


def python312() -> str:
    """The interpreter the Makefile compiles the layer with (the Lambda runtime's version)."""
    return subprocess.run(  # noqa: S603 - make
        ["make", "--no-print-directory", "-s", "-f", str(MAKEFILE), "print-python312"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def lambda_environment(handler: str) -> dict[str, str]:
    function = ROOT / "functions" / handler
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(function),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": f"relance-{handler}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_REGION": "eu-west-3",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "POWERTOOLS_SERVICE_NAME": "relance",
        "POWERTOOLS_METRICS_NAMESPACE": "Relance",
    }


def import_ms(python: str, site: Path, handler: str, *options: str) -> tuple[float, float]:
    """Milliseconds to import functions/<handler>/app.py in a fresh process, as Lambda's init does: wall
    time and CPU time. On a machine shared with other work the wall time includes waiting for a core; the
    CPU time is what the import itself costs."""
    output = subprocess.run(  # noqa: S603 - our own interpreter on our own handlers
        [python, "-I", "-S", "-B", *options, "-c", _IMPORT, str(ROOT / "functions" / handler), str(site)],
        check=True,
        capture_output=True,
        text=True,
        env=lambda_environment(handler),
        cwd=tempfile.gettempdir(),
    ).stdout
    wall, cpu = output.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def median_import_ms(python: str, site: Path, handler: str, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `runs` fresh imports."""
    samples = [import_ms(python, site, handler) for _ in range(runs)]
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def sizes_mb(site: Path) -> tuple[float, float]:
    """Unzipped (what Lambda counts against its 250 MB) and zipped (what is uploaded) sizes of the layer."""
    unzipped = 0
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as layer:
            for path in sorted(site.rglob("*")):
                if path.is_file():
                    unzipped += path.stat().st_size
                    layer.write(path, path.relative_to(site.parent))
        zipped = archive.seek(0, os.SEEK_END)
    return unzipped / 1e6, zipped / 1e6


def run() -> list[tuple[str, str]]:
    python = python312()
    # Timed on a layer built for this machine, so that compiled extensions (PyYAML's, MarkupSafe's...) load
    # as they do on Lambda; the size is the arm64 layer's, the one deployed.
    host = {"arm64": "aarch64", "AMD64": "x86_64"}.get(platform.machine(), platform.machine())
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        timed = Path(scratch) / "timed"
        make("layer-install", timed, host)
        make("layer-trim", timed, host)  # the layer before its bytecode: Lambda compiles every module
        site = timed / "python"
        without = {name: median_import_ms(python, site, name, 3)[0] for name in HANDLERS}
        make("layer-compile", timed, host)
        for name in HANDLERS:
            wall, cpu = median_import_ms(python, site, name, 11)
            figures.append(
                (
                    f"layer import of functions/{name}/app.py",
                    f"{cpu:.0f} ms CPU, {wall:.0f} ms wall, median of 11 (target <= 200 ms; "
                    f"{without[name]:.0f} ms wall without bytecode)",
                )
            )
        shipped = build_layer(Path(scratch) / "shipped") if host != LAMBDA_ARCH else site
        unzipped, zipped = sizes_mb(shipped)
        figures.append(("layer size (arm64)", f"{unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped"))
    return figures
