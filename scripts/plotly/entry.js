// The plotly.js traces warlens draws (warlens/figures.py): scatter (in core), bar, and
// scattermap (MapLibre, for the offline map). Plotly's full bundle holds 50 trace types.
'use strict';
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/scattermap')]);

// The same MapLibre, and the same worker code, that plotly's map draws with.
var maplibregl = require('maplibre-gl/dist/maplibre-gl.mjs');
var workerSource = require('plotly.js/build/maplibre_worker');

// Starts MapLibre's workers before any map is asked for: a map page's head calls it once
// plotly.js has loaded (warlens/ui/server.py), so the workers have read their code while
// the page's script runs, not after its map arrives. Plotly points MapLibre at a worker
// script of its own when it makes its first map; until then there is none, so this names
// one, made from the same code. Once only; the workers then serve every map of the page.
var prewarmed = false;
Plotly.prewarmMap = function () {
    if (prewarmed) return;
    prewarmed = true;
    maplibregl.setWorkerUrl(URL.createObjectURL(
        new Blob([workerSource], { type: 'text/javascript' })));
    maplibregl.prewarm();
};

module.exports = Plotly;
