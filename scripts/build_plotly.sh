#!/usr/bin/env bash
# Rebuilds static/plotly-warlens-VERSION.min.js, the plotly.js the dashboard's charts load:
# only the traces warlens draws (scripts/plotly/entry.js), at the plotly.js version of
# scripts/plotly/package.json, which must be the one the plotly Python package writes
# figures for (tests/test_figures.py checks), with the versions in its package-lock.json.
# Needs node and npm (the npm registry); the built file is committed, so neither the app
# nor its tests need them. Run it after changing plotly's version or the traces drawn; a
# new version is a new file, named in src/warlens/ui/routes.py (PLOTLY_BUNDLE).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/plotly"
npm ci --no-audit --no-fund
node build.js
