"""Regenerate the Python code for the protobuf contract into server/lanescreen/v1/.

Run after editing any .proto: ``python proto/generate.py``. The generated files are committed and
never edited by hand; tests/test_proto_generated.py fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent


def generate(out_dir: Path) -> None:
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(
        str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "lanescreen").rglob("*.proto")
    )
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    package = out_dir / "lanescreen" / "v1"
    (package / "__init__.py").write_text(
        '"""Generated gRPC/protobuf code. Do not edit: run proto/generate.py."""\n'
    )


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT.parent / "server"
    generate(target)
