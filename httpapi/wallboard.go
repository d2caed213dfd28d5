package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

// web holds the wallboard: one page, its stylesheet and script, written by
// hand so the board works with no internet and no build step.
//
//go:embed web
var web embed.FS

// contentSecurityPolicy lets the page load only from this server, which is
// also the test that no asset comes from a CDN: the browser would refuse it.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

var webTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

func (s *Server) wallboard(w http.ResponseWriter, r *http.Request) {
	serveWebFile(w, "index.html")
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == "index.html" || !fs.ValidPath(name) {
		writeError(w, http.StatusNotFound, "no such asset: %s", name)
		return
	}
	serveWebFile(w, name)
}

func serveWebFile(w http.ResponseWriter, name string) {
	body, err := web.ReadFile("web/" + name)
	ctype, known := webTypes[path.Ext(name)]
	if err != nil || !known {
		writeError(w, http.StatusNotFound, "no such asset: %s", name)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// The files change only with the binary; no-cache makes the browser
	// revalidate so an upgrade shows at once.
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
