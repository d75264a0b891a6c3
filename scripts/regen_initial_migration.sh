#!/usr/bin/env bash
# Pre-release only: regenerate the single initial migration from the SQLModel tables.
# After the first release, add new revisions with `alembic revision --autogenerate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f creditfarm/storage/migrations/versions/*.py
sed "s#sqlite:///data/alembic-autogen.db#sqlite:///$tmp/autogen.db#" alembic.ini > "$tmp/alembic.ini"
sed -i "s#script_location = creditfarm/storage/migrations#script_location = $PWD/creditfarm/storage/migrations#" "$tmp/alembic.ini"
uv run --frozen alembic -c "$tmp/alembic.ini" revision --autogenerate -m "initial schema" --rev-id 0001
rm -rf "$tmp"
