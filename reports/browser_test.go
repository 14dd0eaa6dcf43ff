package reports

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumBin is where Debian's chromium package puts the browser; the
// project's CI script installs it.
const chromiumBin = "/usr/bin/chromium"

// svgInfo is what the page reports about each inline SVG once laid out.
type svgInfo struct {
	Class    string  `json:"cls"`
	Label    string  `json:"label"`
	Children int     `json:"children"`
	Paths    int     `json:"paths"`
	Shaded   int     `json:"shaded"`
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
	DrawnW   float64 `json:"drawnW"`
	DrawnH   float64 `json:"drawnH"`
}

const svgProbe = `Array.from(document.querySelectorAll('svg.chart, svg.timeline')).map(s => {
  const r = s.getBoundingClientRect(), b = s.getBBox();
  const shaded = Array.from(s.querySelectorAll('path')).filter(p => (p.getAttribute('style') || '').includes('rgba(220,38,38')).length;
  return {cls: s.getAttribute('class'), label: s.getAttribute('aria-label'), children: s.childElementCount,
    paths: s.querySelectorAll('path').length, shaded, width: r.width, height: r.height, drawnW: b.width, drawnH: b.height};
})`

// TestHTMLInChromium opens index.html in headless Chromium, served from a
// loopback server that logs every request, and checks that every chart and
// timeline is laid out with content and that nothing but the page itself was
// requested.
func TestHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumBin); err != nil {
		t.Skipf("skipping the browser check: %s is absent (apt-get install chromium; the CI script installs it)", chromiumBin)
	}
	dir := t.TempDir()
	if err := WriteHTML(fixture(t), dir); err != nil {
		t.Fatal(err)
	}

	body, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var served, requested, problems []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/"+HTMLFile {
			http.NotFound(w, r)
			return
		}
		// Not http.ServeFile: it redirects .../index.html to .../
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumBin),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 1024),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	// The DevTools events see requests to any host, which the server cannot.
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requested = append(requested, e.Request.URL)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Source == log.EntrySourceSecurity {
				problems = append(problems, string(e.Entry.Source)+": "+e.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		}
	}
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(listen))
	defer cancelBrowser()

	// The first Do starts the browser, which lives as long as bctx.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"+HTMLFile)); err != nil {
		t.Fatalf("chromium: open page: %v", err)
	}
	wctx, cancelWait := context.WithTimeout(bctx, 15*time.Second)
	defer cancelWait()
	err = chromedp.Do(wctx,
		chromedp.WaitVisible(chromedp.CSS("footer")),
		chromedp.Sleep(300*time.Millisecond), // let any late fetch show up
	)
	if err != nil {
		t.Fatalf("chromium: page did not lay out its footer: %v", err)
	}
	svgs, err := chromedp.Run(bctx, chromedp.Evaluate[[]svgInfo](svgProbe))
	if err != nil {
		t.Fatalf("probe charts: %v", err)
	}
	resources, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name)`))
	if err != nil {
		t.Fatalf("list resources: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	page := srv.URL + "/" + HTMLFile
	if len(requested) != 1 || requested[0] != page {
		t.Errorf("page made network requests: %q (want only %s)", requested, page)
	}
	if len(served) != 1 || served[0] != "/"+HTMLFile {
		t.Errorf("server saw requests %q, want only /%s", served, HTMLFile)
	}
	if len(resources) != 0 {
		t.Errorf("page loaded resources: %q", resources)
	}
	if len(problems) != 0 {
		t.Errorf("browser reported problems (a CSP violation means the page tried to load something):\n%s", strings.Join(problems, "\n"))
	}

	var charts, timelines int
	for _, s := range svgs {
		switch s.Class {
		case "chart":
			charts++
			if s.Paths < 3 {
				t.Errorf("chart %q has %d paths, want axes, grid and a line", s.Label, s.Paths)
			}
		case "timeline":
			timelines++
		}
		if s.Children == 0 || s.Width < 100 || s.Height < 40 || s.DrawnW < 50 || s.DrawnH < 20 {
			t.Errorf("%s %q is empty or collapsed: %+v", s.Class, s.Label, s)
		}
	}
	if charts != 10 || timelines != 2 {
		t.Errorf("found %d charts and %d timelines, want 10 and 2", charts, timelines)
	}
	for _, s := range svgs {
		// Every fixture scenario with charts injected faults: each chart must shade them.
		if s.Class == "chart" && s.Shaded == 0 {
			t.Errorf("chart %q has no shaded fault window", s.Label)
		}
	}
}
