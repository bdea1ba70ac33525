#!/usr/bin/python3
"""Independent check of exported models: onnx.checker.check_model(full_check=True).

Run with Debian's interpreter (`/usr/bin/python3`, package python3-onnx; its checker knows
opsets up to 17). Prints one line per model; exits 1 when any model fails.
"""
import sys

import onnx


def main(paths):
    failed = 0
    for path in paths:
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            print(f"ok {path}")
        except Exception as e:  # noqa: BLE001 - report every failure, then exit non-zero
            failed += 1
            print(f"FAIL {path}: {type(e).__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: onnx_check.py MODEL.onnx ...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
