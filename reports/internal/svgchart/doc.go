// Package svgchart draws the inline SVG of edgeproof's HTML report: line
// charts of sampled series with fault windows shaded (rendered by the
// chartdraw library) and per-scenario fault timelines. Output never refers to
// anything outside itself, so the page embedding it needs no network.
package svgchart
