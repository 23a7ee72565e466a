// The plotly.js traces warlens draws (warlens/figures.py): scatter (in core), bar, and
// scattermap (MapLibre, for the offline map). Plotly's full bundle holds 50 trace types.
'use strict';
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/scattermap')]);
module.exports = Plotly;
