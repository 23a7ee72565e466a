#!/usr/bin/env bash
# Rebuilds static/plotly-warlens.min.js, the plotly.js the dashboard's charts load: only the
# traces warlens draws (scripts/plotly/entry.js), at the version of the plotly Python
# package (pyproject.toml), with the versions in scripts/plotly/package-lock.json.
# Needs node and npm (the npm registry); the built file is committed, so neither the app
# nor its tests need them. Run it after changing plotly's version or the traces drawn.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/plotly"
npm ci --no-audit --no-fund
node build.js
