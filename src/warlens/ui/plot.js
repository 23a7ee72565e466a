// warlens's chart element (warlens/ui/plot.py): draws a plotly figure with the plotly.js
// build in static/ (scripts/build_plotly.sh: only the traces warlens draws), and reports
// a click, a box or a lasso to Python as a one-rerun trigger, `select`.
//
// Streamlit's own chart element loads the full plotly.js (50 trace types, 4.8 MB): a new
// visitor's chart drew 0.6-0.8 s later in Chromium (docs/engines.md).
// Nothing here writes markup: the figure's texts were escaped by warlens/figures.py, and
// plotly draws them as text.

// Shared with the page's head (ui/server.py), which may have started the load already.
const loads = (window.__warlensPlotly ??= {});

function plotly(url) {
    const src = new URL(url, document.baseURI).href;
    loads[src] ??= new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = () => resolve(window.Plotly);
        script.onerror = () => { delete loads[src]; reject(new Error(`could not load ${src}`)); };
        document.head.appendChild(script);
    });
    return loads[src];
}

// What Python reads of a selected point: the same fields as st.plotly_chart's.
function point(p) {
    const out = { curve_number: p.curveNumber, point_index: p.pointIndex ?? p.pointNumber };
    for (const field of ["x", "y", "lat", "lon"]) {
        if (p[field] !== undefined) out[field] = p[field];
    }
    if (p.customdata !== undefined) out.customdata = p.customdata;
    return out;
}

// MapLibre fetches a vector source's tiles from its worker, which resolves no path against
// the page: the server's own tiles (a path, under any base path) get the page's origin.
function wholeTileUrls(layout) {
    const sources = layout && layout.map && layout.map.style && layout.map.style.sources;
    for (const source of Object.values(sources || {})) {
        if (Array.isArray(source.tiles)) {
            source.tiles = source.tiles.map((url) => (url.startsWith("/") && !url.startsWith("//")
                ? window.location.origin + url : url));
        }
    }
    return layout;
}

function listen(gd, state) {
    gd.on("plotly_click", (ev) => {
        if (!state.modes.includes("points") || !ev || !ev.points || !ev.points.length) return;
        state.setTriggerValue("select", { points: ev.points.map(point) });
    });
    gd.on("plotly_selected", (ev) => {
        if (!ev || !ev.points || !ev.points.length) return;
        state.setTriggerValue("select", { points: ev.points.map(point) });
    });
}

export default function (component) {
    const { data, parentElement, setTriggerValue } = component;
    let gd = parentElement.querySelector(".wl-plot");
    if (!gd) {
        gd = document.createElement("div");
        gd.className = "wl-plot";
        gd.setAttribute("data-testid", "wlPlot");
        gd.style.width = "100%";
        gd.style.minHeight = `${data.height}px`;
        parentElement.appendChild(gd);
    }
    const state = (gd.__warlens ??= { drawn: false });
    state.modes = data.modes;
    state.setTriggerValue = setTriggerValue;
    const figure = JSON.parse(data.figure);
    let cancelled = false;
    plotly(data.src).then((Plotly) => {
        if (cancelled) return;
        return Plotly.react(gd, figure.data, wholeTileUrls(figure.layout), data.config).then(() => {
            if (!state.drawn) {
                state.drawn = true;
                listen(gd, state);
                // The page's width changes without a window resize (the sidebar opens or
                // closes): plotly follows the element's own width.
                state.resize = new ResizeObserver(() => {
                    if (gd.isConnected && gd._fullLayout) Plotly.Plots.resize(gd);
                });
                state.resize.observe(gd);
            }
        });
    }).catch((error) => {
        gd.textContent = `The chart could not be drawn: ${error.message}`;
    });
    return () => {
        cancelled = true;
        if (!gd.isConnected) {
            if (state.resize) state.resize.disconnect();
            if (window.Plotly) window.Plotly.purge(gd);
        }
    };
}
