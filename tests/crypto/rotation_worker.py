"""Helper process for test_rotation: rotates so that the test can SIGKILL it mid-way.

usage: python rotation_worker.py DB_PATH INSTANCE_PATH BATCH_SIZE
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def main() -> int:
    from sqlalchemy import create_engine

    from caseapp.crypto import configure_sqlite_engine, load_keyring, rotate_data_keys

    db_path, instance, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = create_engine(f"sqlite:///{db_path}")
    configure_sqlite_engine(engine)
    ring = load_keyring(instance, environ={})

    def progress(done: int, total: int) -> None:
        print(f"progress {done} {total}", flush=True)

    print("ready", flush=True)
    count = rotate_data_keys(engine, ring, batch_size=batch, progress=progress)
    print(f"done {count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
