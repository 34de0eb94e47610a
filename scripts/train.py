"""Train the Rasa model only when what it is made of changed.

The fingerprint covers the pipeline config, domain, rules, NLU data, Hamyar's own Rasa
components and the normaliser (Rasa itself does not fingerprint a component's source), and
the Rasa lock file.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = [
    "config.yml",
    "bot/domain.yml",
    "bot/data",
    "nlu/data",
    "nlu/components",
    "nlu/persian.py",
    "nlu/spelling.py",
    "requirements/rasa.lock",
]


# What the model is trained from, as Rasa's commands take it (training and validation alike).
TRAINING_FILES = ("--config", "config.yml", "--domain", "bot/domain.yml", "--data", "nlu/data", "bot/data")


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for entry in INPUTS:
        path = root / entry
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yml", ".py", ".lock"))
            if path.is_dir()
            else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rasa", required=True, help="the rasa executable of the Rasa environment")
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    model = args.out / "hamyar.tar.gz"
    stamp = args.out / "hamyar.fingerprint"
    wanted = fingerprint()
    if not args.force and model.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        print("==> Model is up to date (training data, config and normaliser unchanged)")
        return 0
    print("==> Training the Rasa model (data, config or normaliser changed)", flush=True)
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    command = [
        args.rasa,
        "train",
        *TRAINING_FILES,
        "--out",
        str(args.out),
        "--fixed-model-name",
        "hamyar",
        "--force",
    ]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0 or not model.exists():
        print("hamyar: training failed", file=sys.stderr)
        return 1
    stamp.write_text(wanted + "\n")
    print(f"==> Trained in {time.monotonic() - started:.0f} s: {model} ({model.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
